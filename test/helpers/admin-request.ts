// Requests as the embedded admin sends them: a session token (HS256 JWT, aud = API key,
// dest = https://<shop>) signed with the app secret, exactly what authenticate.admin verifies with
// the new embedded auth strategy. The shop needs an offline session stored (factories.createSession).
import { RequestType, setUpValidRequest } from "@shopify/shopify-api/test-helpers";
import { TEST_API_KEY, TEST_API_SECRET, TEST_APP_URL } from "./app-env";

const storeName = (shop: string) => shop.replace(/\.myshopify\.com$/, "");

/** A document GET of an admin page (id_token, shop, host and embedded=1 in the query). */
export async function adminGet(shop: string, path: string): Promise<Request> {
  return setUpValidRequest(
    { type: RequestType.Admin, store: storeName(shop), apiKey: TEST_API_KEY, apiSecretKey: TEST_API_SECRET },
    new Request(new URL(path, TEST_APP_URL)),
  );
}

/** A form POST from the embedded app (session token in the Authorization header). */
export async function adminPost(shop: string, path: string, form: Record<string, string>): Promise<Request> {
  return setUpValidRequest(
    { type: RequestType.Bearer, store: storeName(shop), apiKey: TEST_API_KEY, apiSecretKey: TEST_API_SECRET },
    new Request(new URL(path, TEST_APP_URL), { method: "POST", body: new URLSearchParams(form) }),
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any loader/action signature
type Handler = (args: { request: Request; params: Record<string, string>; context: any }) => unknown;

/** Calls a loader or action as Remix would; thrown Responses (redirects, 404s) are returned. */
export async function callRoute<T = unknown>(handler: Handler | undefined, request: Request, params: Record<string, string> = {}): Promise<T | Response> {
  if (!handler) throw new Error("the route has no such handler");
  try {
    return (await handler({ request, params, context: {} })) as T;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

/** The data of a loader/action that answered with data (fails the test on a Response). */
export async function routeData<T>(handler: Handler | undefined, request: Request, params: Record<string, string> = {}): Promise<T> {
  const result = await callRoute<T>(handler, request, params);
  if (result instanceof Response) throw new Error(`expected data, got HTTP ${result.status} ${result.headers.get("location") ?? ""}`);
  return result;
}
