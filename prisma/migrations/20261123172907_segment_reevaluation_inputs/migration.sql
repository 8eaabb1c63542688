-- DropIndex
DROP INDEX "memberships_shop_id_customer_id_idx";

-- AlterTable
ALTER TABLE "segment_shop_stats" ADD COLUMN     "evaluated" JSONB;

