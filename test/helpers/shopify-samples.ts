import { readFileSync } from "node:fs";
import path from "node:path";

/** Shopify's published webhook example bodies (../shared/data/shopify-webhooks), as raw text. */
export function sampleBody(file: string): string {
  const shared = process.env.SEGSYNC_SHARED_DIR ?? path.resolve(import.meta.dirname, "../../../shared");
  return readFileSync(path.join(shared, "data/shopify-webhooks", file), "utf8");
}
