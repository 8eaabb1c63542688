-- CreateTable
CREATE TABLE "pixel_events" (
    "shop_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "client_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "customer_id" BIGINT,
    "product_id" BIGINT,
    "variant_id" BIGINT,
    "product_ids" BIGINT[] DEFAULT ARRAY[]::BIGINT[],
    "checkout_token" TEXT,
    "from_recommendation" BOOLEAN NOT NULL DEFAULT false,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pixel_events_pkey" PRIMARY KEY ("shop_id","day","client_id","event_id")
) PARTITION BY RANGE ("day");
-- Hand-written: pixel_events is partitioned by day (Prisma cannot express it, the columns,
-- keys and indexes are exactly schema.prisma's). Child tables pixel_events_YYYYMMDD are created
-- by app/browsing/partitions.server.ts and dropped by the retention job, there is no default
-- partition (a default partition holding a day's rows would block creating that day's table).

-- CreateTable
CREATE TABLE "browsing_clients" (
    "shop_id" INTEGER NOT NULL,
    "client_id" TEXT NOT NULL,
    "customer_id" BIGINT,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "linked_at" TIMESTAMPTZ(3),

    CONSTRAINT "browsing_clients_pkey" PRIMARY KEY ("shop_id","client_id")
);

-- CreateTable
CREATE TABLE "browsing_dirty" (
    "shop_id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "marked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "browsing_dirty_pkey" PRIMARY KEY ("shop_id","customer_id")
);

-- CreateTable
CREATE TABLE "browsing_features" (
    "shop_id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL,
    "page_views_7d" INTEGER NOT NULL DEFAULT 0,
    "page_views_30d" INTEGER NOT NULL DEFAULT 0,
    "sessions_7d" INTEGER NOT NULL DEFAULT 0,
    "sessions_30d" INTEGER NOT NULL DEFAULT 0,
    "product_views_30d" INTEGER NOT NULL DEFAULT 0,
    "product_dwell_seconds_30d" INTEGER NOT NULL DEFAULT 0,
    "cart_adds_30d" INTEGER NOT NULL DEFAULT 0,
    "cart_adds_without_order_30d" INTEGER NOT NULL DEFAULT 0,
    "rec_clicks_30d" INTEGER NOT NULL DEFAULT 0,
    "rec_products_not_bought_30d" INTEGER NOT NULL DEFAULT 0,
    "checkouts_started_7d" INTEGER NOT NULL DEFAULT 0,
    "abandoned_checkouts_7d" INTEGER NOT NULL DEFAULT 0,
    "last_abandoned_checkout_at" TIMESTAMPTZ(3),
    "last_abandoned_checkout_day" DATE,
    "last_event_at" TIMESTAMPTZ(3),

    CONSTRAINT "browsing_features_pkey" PRIMARY KEY ("shop_id","customer_id")
);

-- CreateIndex
CREATE INDEX "pixel_events_shop_id_client_id_occurred_at_idx" ON "pixel_events"("shop_id", "client_id", "occurred_at");

-- CreateIndex
CREATE INDEX "browsing_clients_shop_id_customer_id_idx" ON "browsing_clients"("shop_id", "customer_id");

