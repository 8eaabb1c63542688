import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";

/**
 * When SHOPIFY_ADMIN_ORIGIN is set (the local Shopify twin, e.g. http://127.0.0.1:4010), every
 * request the Shopify libraries make to `https://{shop}.myshopify.com/...` goes to that origin
 * instead, with the shop kept in the X-Shopify-Shop-Domain header. This is the libraries'
 * supported seam (PLATFORM.md); in production the variable is unset and nothing changes.
 */
export function routeShopifyTrafficTo(origin: string | undefined) {
  if (!origin) return;
  const target = new URL(origin);
  setAbstractFetchFunc(async (input, init) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (url.hostname.endsWith(".myshopify.com")) {
      const headers = new Headers(init?.headers);
      headers.set("X-Shopify-Shop-Domain", url.hostname);
      url.protocol = target.protocol;
      url.host = target.host;
      return fetch(url, { ...init, headers });
    }
    return fetch(input, init);
  });
}
