-- DropIndex
DROP INDEX "orders_shop_id_customer_id_idx";

-- CreateIndex
CREATE INDEX "orders_customer_totals_idx" ON "orders"("shop_id", "customer_id", "processed_at", "total_price", "refunded_amount", "total_discounts", "item_count", "cancelled_at", "test", "deleted_at", "discount_codes");

