-- CreateTable
CREATE TABLE "push_shops" (
    "shop_id" INTEGER NOT NULL,
    "last_change_id" BIGINT NOT NULL DEFAULT 0,
    "notices" JSONB NOT NULL DEFAULT '[]',
    "last_push_at" TIMESTAMPTZ(3),
    "last_drift_at" TIMESTAMPTZ(3),
    "last_drift_repaired" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "push_shops_pkey" PRIMARY KEY ("shop_id")
);

-- CreateTable
CREATE TABLE "push_customers" (
    "shop_id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "segments" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "opted_out" BOOLEAN NOT NULL DEFAULT false,
    "desired_tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "pushed_tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "suppressed_tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "desired_metafield" TEXT,
    "pushed_metafield" TEXT,
    "metafield_digest" TEXT,
    "dirty" BOOLEAN NOT NULL DEFAULT true,
    "sweep_tags" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "gone" BOOLEAN NOT NULL DEFAULT false,
    "pushed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "push_customers_pkey" PRIMARY KEY ("shop_id","customer_id")
);

-- CreateTable
CREATE TABLE "push_bulk_runs" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'staged',
    "operation_id" TEXT,
    "lines" JSONB NOT NULL,
    "customers" INTEGER NOT NULL DEFAULT 0,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "push_bulk_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "push_flow_triggers" (
    "change_id" BIGINT NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "segment_key" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "push_flow_triggers_pkey" PRIMARY KEY ("change_id")
);

-- CreateIndex
CREATE INDEX "push_customers_shop_id_dirty_idx" ON "push_customers"("shop_id", "dirty");

-- CreateIndex
CREATE INDEX "push_bulk_runs_shop_id_status_idx" ON "push_bulk_runs"("shop_id", "status");

-- CreateIndex
CREATE INDEX "push_flow_triggers_shop_id_status_change_id_idx" ON "push_flow_triggers"("shop_id", "status", "change_id");

