-- DropTable
DROP TABLE "customer_category_items";

