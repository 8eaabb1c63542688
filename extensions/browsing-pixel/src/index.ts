// Entry the CLI bundles: Shopify's register() hands the sandbox's API to our collector.
import { register } from "@shopify/web-pixels-extension";
import { createCollector, type PixelApi } from "./collector";

register((api) => {
  createCollector(api as unknown as PixelApi);
});
