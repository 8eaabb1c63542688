// The Shopify twin's public API. See twin/README.md.
export { startTwin, Twin, DEFAULT_API_KEY, DEFAULT_API_SECRET, type TwinOptions, type GraphqlCall, type GraphqlResponse } from "./server.ts";
export { TwinShop, normalizeTags, type ShopOptions, type NewCustomer, type NewOrder, type NewLineItem, type ApiFaults, type FlowTriggerCall } from "./shop.ts";
export { WebhookDispatcher, RETRY_DELAYS_S, readSubscriptions, signWebhook, type WebhookFaults, type DeliveryAttempt, type Subscription } from "./webhooks.ts";
export { mintSessionToken, signJwt, verifyJwt } from "./auth.ts";
export { adminSchema, parseAndValidate, ADMIN_API_VERSION, SCHEMA_FILE, type ShopifyGraphQLError } from "./schema.ts";
export { MAX_QUERY_COST, MUTATION_COST, type ThrottleStatus } from "./cost.ts";
export { MAX_CONCURRENT_BULK, type BulkOperationRecord } from "./bulk.ts";
export { MAX_PAGE_SIZE } from "./resolvers.ts";
export { generateTwinStore, type TwinStoreOptions } from "./test-store.ts";
export { stringifyExact, parseExact } from "./json.ts";
export { hostParam, appFrameUrl } from "./admin-page.ts";
