/** The app's environment in tests: the same values Shopify's test helpers sign with. */
export const TEST_API_KEY = "testApiKey";
export const TEST_API_SECRET = "testApiSecretKey";
export const TEST_APP_URL = "https://segment-sync.test";

export const TEST_APP_ENV: Record<string, string> = {
  SHOPIFY_API_KEY: TEST_API_KEY,
  SHOPIFY_API_SECRET: TEST_API_SECRET,
  SHOPIFY_APP_URL: TEST_APP_URL,
  SCOPES: "read_customers,write_customers,read_orders,read_all_orders",
  NODE_ENV: "test",
};
