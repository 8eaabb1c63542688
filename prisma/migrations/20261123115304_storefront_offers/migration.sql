-- CreateTable
CREATE TABLE "offers" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "segment_key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "content" JSONB NOT NULL,
    "cta_url" TEXT,
    "discount_code" TEXT,
    "discount_id" TEXT,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "starts_at" TIMESTAMPTZ(3),
    "ends_at" TIMESTAMPTZ(3),
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "offers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "offer_attributions" (
    "shop_id" INTEGER NOT NULL,
    "order_id" BIGINT NOT NULL,
    "offer_id" INTEGER NOT NULL,
    "segment_key" TEXT NOT NULL,
    "customer_id" BIGINT,
    "was_member" BOOLEAN NOT NULL DEFAULT false,
    "discount_code" TEXT NOT NULL,
    "amount" DECIMAL(18,4) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "offer_attributions_pkey" PRIMARY KEY ("shop_id","order_id")
);

-- CreateIndex
CREATE INDEX "offers_shop_id_segment_key_idx" ON "offers"("shop_id", "segment_key");

-- CreateIndex
CREATE UNIQUE INDEX "offers_shop_id_discount_code_key" ON "offers"("shop_id", "discount_code");

-- CreateIndex
CREATE INDEX "offer_attributions_shop_id_offer_id_idx" ON "offer_attributions"("shop_id", "offer_id");

