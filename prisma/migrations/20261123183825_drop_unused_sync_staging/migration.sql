-- DropTable
DROP TABLE "sync_stage_customers";

-- DropTable
DROP TABLE "sync_stage_orders";

-- DropTable
DROP TABLE "sync_stage_line_items";

-- DropTable
DROP TABLE "sync_stage_refunds";

