-- DropIndex
DROP INDEX "orders_customer_totals_idx";

-- DropIndex
DROP INDEX "line_items_shop_id_order_id_idx";

-- CreateIndex
CREATE INDEX "orders_customer_totals_idx" ON "orders"("shop_id", "customer_id", "processed_at", "total_price", "refunded_amount", "total_discounts", "item_count", "cancelled_at", "test", "deleted_at", "discount_codes", "id");

-- CreateIndex
CREATE INDEX "line_items_order_rollup_idx" ON "line_items"("shop_id", "order_id", "product_type", "vendor", "quantity");

