-- DropIndex
DROP INDEX "pixel_events_shop_id_client_id_occurred_at_idx";

