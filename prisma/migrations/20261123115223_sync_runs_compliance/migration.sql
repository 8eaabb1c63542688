-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "opt_out_changed_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "sync_runs" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "updated_since" TIMESTAMPTZ(3),
    "orders_since" TIMESTAMPTZ(3),
    "notice" TEXT,
    "customers_op_id" TEXT,
    "customers_url" TEXT,
    "customers_objects" BIGINT NOT NULL DEFAULT 0,
    "customers_lines" BIGINT NOT NULL DEFAULT 0,
    "customers_loaded" BOOLEAN NOT NULL DEFAULT false,
    "orders_op_id" TEXT,
    "orders_url" TEXT,
    "orders_objects" BIGINT NOT NULL DEFAULT 0,
    "orders_lines" BIGINT NOT NULL DEFAULT 0,
    "orders_loaded" BOOLEAN NOT NULL DEFAULT false,
    "customers_merged" INTEGER NOT NULL DEFAULT 0,
    "orders_merged" INTEGER NOT NULL DEFAULT 0,
    "repaired" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "load_started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sync_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_stage_customers" (
    "run_id" BIGINT NOT NULL,
    "line_no" INTEGER NOT NULL,
    "id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3),
    "state" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "sync_stage_customers_pkey" PRIMARY KEY ("run_id","line_no")
);

-- CreateTable
CREATE TABLE "sync_stage_orders" (
    "run_id" BIGINT NOT NULL,
    "line_no" INTEGER NOT NULL,
    "id" BIGINT NOT NULL,
    "shopper_id" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "cancelled_at" TIMESTAMPTZ(3),
    "currency" TEXT NOT NULL,
    "total_price" DECIMAL(18,4) NOT NULL,
    "subtotal_price" DECIMAL(18,4) NOT NULL,
    "total_discounts" DECIMAL(18,4) NOT NULL,
    "discount_codes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "financial_status" TEXT,
    "test" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "sync_stage_orders_pkey" PRIMARY KEY ("run_id","line_no")
);

-- CreateTable
CREATE TABLE "sync_stage_line_items" (
    "run_id" BIGINT NOT NULL,
    "line_no" INTEGER NOT NULL,
    "id" BIGINT NOT NULL,
    "order_id" BIGINT NOT NULL,
    "product_id" BIGINT,
    "variant_id" BIGINT,
    "product_type" TEXT,
    "vendor" TEXT,
    "quantity" INTEGER NOT NULL,
    "price" DECIMAL(18,4) NOT NULL,

    CONSTRAINT "sync_stage_line_items_pkey" PRIMARY KEY ("run_id","line_no")
);

-- CreateTable
CREATE TABLE "sync_stage_refunds" (
    "run_id" BIGINT NOT NULL,
    "line_no" INTEGER NOT NULL,
    "id" BIGINT NOT NULL,
    "order_id" BIGINT NOT NULL,
    "amount" DECIMAL(18,4) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sync_stage_refunds_pkey" PRIMARY KEY ("run_id","line_no","id")
);

-- CreateTable
CREATE TABLE "redacted_customers" (
    "shop_id" INTEGER NOT NULL,
    "redacted_customer_id" BIGINT NOT NULL,
    "redacted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "redacted_customers_pkey" PRIMARY KEY ("shop_id","redacted_customer_id")
);

-- CreateTable
CREATE TABLE "compliance_requests" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" INTEGER,
    "shop_domain" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "webhook_id" TEXT,
    "subject_customer_id" BIGINT,
    "subject_order_ids" BIGINT[] DEFAULT ARRAY[]::BIGINT[],
    "status" TEXT NOT NULL DEFAULT 'received',
    "rows_affected" INTEGER NOT NULL DEFAULT 0,
    "detail" JSONB,
    "error" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "compliance_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "data_exports" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "compliance_request_id" BIGINT NOT NULL,
    "subject_customer_id" BIGINT NOT NULL,
    "data" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "data_exports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sync_runs_shop_id_created_at_idx" ON "sync_runs"("shop_id", "created_at");

-- CreateIndex
CREATE INDEX "compliance_requests_shop_domain_received_at_idx" ON "compliance_requests"("shop_domain", "received_at");

-- CreateIndex
CREATE INDEX "data_exports_shop_id_created_at_idx" ON "data_exports"("shop_id", "created_at");

