-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "shops" (
    "id" SERIAL NOT NULL,
    "domain" TEXT NOT NULL,
    "install_state" TEXT NOT NULL DEFAULT 'installed',
    "installed_at" TIMESTAMPTZ(3),
    "uninstalled_at" TIMESTAMPTZ(3),
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "scopes" TEXT,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shops_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "isOnline" BOOLEAN NOT NULL DEFAULT false,
    "scope" TEXT,
    "expires" TIMESTAMP(3),
    "accessToken" TEXT NOT NULL,
    "userId" BIGINT,
    "firstName" TEXT,
    "lastName" TEXT,
    "email" TEXT,
    "accountOwner" BOOLEAN NOT NULL DEFAULT false,
    "locale" TEXT,
    "collaborator" BOOLEAN DEFAULT false,
    "emailVerified" BOOLEAN DEFAULT false,
    "refreshToken" TEXT,
    "refreshTokenExpires" TIMESTAMP(3),

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customers" (
    "shop_id" INTEGER NOT NULL,
    "id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3),
    "state" TEXT,
    "opted_out" BOOLEAN NOT NULL DEFAULT false,
    "deleted_at" TIMESTAMPTZ(3),
    "synced_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("shop_id","id")
);

-- CreateTable
CREATE TABLE "orders" (
    "shop_id" INTEGER NOT NULL,
    "id" BIGINT NOT NULL,
    "customer_id" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "cancelled_at" TIMESTAMPTZ(3),
    "currency" TEXT NOT NULL,
    "total_price" DECIMAL(18,4) NOT NULL,
    "subtotal_price" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "total_discounts" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "refunded_amount" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "discount_codes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "financial_status" TEXT,
    "test" BOOLEAN NOT NULL DEFAULT false,
    "item_count" INTEGER NOT NULL DEFAULT 0,
    "deleted_at" TIMESTAMPTZ(3),
    "synced_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("shop_id","id")
);

-- CreateTable
CREATE TABLE "line_items" (
    "shop_id" INTEGER NOT NULL,
    "id" BIGINT NOT NULL,
    "order_id" BIGINT NOT NULL,
    "product_id" BIGINT,
    "variant_id" BIGINT,
    "product_type" TEXT,
    "vendor" TEXT,
    "quantity" INTEGER NOT NULL,
    "price" DECIMAL(18,4) NOT NULL,

    CONSTRAINT "line_items_pkey" PRIMARY KEY ("shop_id","id")
);

-- CreateTable
CREATE TABLE "refunds" (
    "shop_id" INTEGER NOT NULL,
    "id" BIGINT NOT NULL,
    "order_id" BIGINT NOT NULL,
    "amount" DECIMAL(18,4) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "refunds_pkey" PRIMARY KEY ("shop_id","id")
);

-- CreateTable
CREATE TABLE "webhook_events" (
    "id" BIGSERIAL NOT NULL,
    "shop" TEXT NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT NOT NULL,
    "triggered_at" TIMESTAMPTZ(3),
    "api_version" TEXT,
    "payload" JSONB,
    "status" TEXT NOT NULL DEFAULT 'received',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "segments" (
    "shop_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "definition" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "segments_pkey" PRIMARY KEY ("shop_id","key")
);

-- CreateTable
CREATE TABLE "memberships" (
    "shop_id" INTEGER NOT NULL,
    "segment_key" TEXT NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "entered_at" TIMESTAMPTZ(3) NOT NULL,
    "detail" JSONB,

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("shop_id","segment_key","customer_id")
);

-- CreateTable
CREATE TABLE "membership_changes" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "segment_key" TEXT NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "change" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "why" JSONB,

    CONSTRAINT "membership_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "segment_daily_stats" (
    "shop_id" INTEGER NOT NULL,
    "segment_key" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "size" INTEGER NOT NULL,
    "entries" INTEGER NOT NULL DEFAULT 0,
    "exits" INTEGER NOT NULL DEFAULT 0,
    "revenue" DECIMAL(18,4) NOT NULL DEFAULT 0,

    CONSTRAINT "segment_daily_stats_pkey" PRIMARY KEY ("shop_id","segment_key","day")
);

-- CreateIndex
CREATE UNIQUE INDEX "shops_domain_key" ON "shops"("domain");

-- CreateIndex
CREATE INDEX "Session_shop_idx" ON "Session"("shop");

-- CreateIndex
CREATE INDEX "orders_shop_id_customer_id_idx" ON "orders"("shop_id", "customer_id");

-- CreateIndex
CREATE INDEX "orders_shop_id_updated_at_idx" ON "orders"("shop_id", "updated_at");

-- CreateIndex
CREATE INDEX "line_items_shop_id_order_id_idx" ON "line_items"("shop_id", "order_id");

-- CreateIndex
CREATE INDEX "refunds_shop_id_order_id_idx" ON "refunds"("shop_id", "order_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_events_webhook_id_key" ON "webhook_events"("webhook_id");

-- CreateIndex
CREATE INDEX "webhook_events_shop_status_idx" ON "webhook_events"("shop", "status");

-- CreateIndex
CREATE INDEX "webhook_events_shop_received_at_idx" ON "webhook_events"("shop", "received_at");

-- CreateIndex
CREATE INDEX "memberships_shop_id_customer_id_idx" ON "memberships"("shop_id", "customer_id");

-- CreateIndex
CREATE INDEX "membership_changes_shop_id_id_idx" ON "membership_changes"("shop_id", "id");

-- CreateIndex
CREATE INDEX "membership_changes_shop_id_customer_id_idx" ON "membership_changes"("shop_id", "customer_id");

