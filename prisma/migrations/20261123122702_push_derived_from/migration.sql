-- AlterTable
ALTER TABLE "push_shops" ADD COLUMN     "derived_from" TEXT;

