-- CreateIndex
CREATE INDEX "customer_features_shop_id_spend_lifetime_customer_id_idx" ON "customer_features"("shop_id", "spend_lifetime", "customer_id");

