-- CreateTable
CREATE TABLE "customer_category_items" (
    "shop_id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "kind" CHAR(1) NOT NULL,
    "value" TEXT NOT NULL,
    "items" INTEGER NOT NULL,

    CONSTRAINT "customer_category_items_pkey" PRIMARY KEY ("shop_id","customer_id","kind","value")
);

-- CreateTable
CREATE TABLE "customer_features" (
    "shop_id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "as_of" TIMESTAMPTZ(3) NOT NULL,
    "as_of_day" DATE NOT NULL,
    "opted_out" BOOLEAN NOT NULL DEFAULT false,
    "orders_count" INTEGER NOT NULL DEFAULT 0,
    "orders_30d" INTEGER NOT NULL DEFAULT 0,
    "orders_90d" INTEGER NOT NULL DEFAULT 0,
    "orders_182d" INTEGER NOT NULL DEFAULT 0,
    "orders_365d" INTEGER NOT NULL DEFAULT 0,
    "spend_lifetime" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "spend_365d" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "aov" DECIMAL(18,4),
    "first_order_at" TIMESTAMPTZ(3),
    "last_order_at" TIMESTAMPTZ(3),
    "first_order_day" DATE,
    "last_order_day" DATE,
    "first_order_items" INTEGER,
    "discounted_orders" INTEGER NOT NULL DEFAULT 0,
    "refunded_orders" INTEGER NOT NULL DEFAULT 0,
    "spend_day" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "total_items" INTEGER NOT NULL DEFAULT 0,
    "top_product_type" TEXT,
    "top_product_type_items" INTEGER NOT NULL DEFAULT 0,
    "top_vendor" TEXT,
    "top_vendor_items" INTEGER NOT NULL DEFAULT 0,
    "r_score" SMALLINT,
    "f_score" SMALLINT,
    "m_score" SMALLINT,
    "rfm_group" TEXT,
    "segments" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customer_features_pkey" PRIMARY KEY ("shop_id","customer_id")
);

-- CreateTable
CREATE TABLE "segment_shop_stats" (
    "shop_id" INTEGER NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL,
    "as_of_day" DATE NOT NULL,
    "customers" INTEGER NOT NULL DEFAULT 0,
    "shop_aov" DECIMAL(18,4),
    "vip_spend_cut" DECIMAL(18,4),
    "new_spend_cut" DECIMAL(18,4),
    "first_order_items_cut" INTEGER,
    "r_cuts" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "f_cuts" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "m_cuts" DECIMAL(18,4)[] DEFAULT ARRAY[]::DECIMAL(18,4)[],
    "rollups_built" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "segment_shop_stats_pkey" PRIMARY KEY ("shop_id")
);

