import type { ActionFunctionArgs } from "@remix-run/node";
import { authenticateWebhook } from "../lib/webhook-auth.server";
import { recordScopes } from "../lib/shops.server";
import { enqueueAfterInstall } from "../jobs/install.server";

// Access scope handles (read_orders, write_pixels, unauthenticated_read_product_listings...).
const SCOPE = /^[a-z_]{1,100}$/;

export const action = async ({ request }: ActionFunctionArgs) => {
  const hook = await authenticateWebhook(request);
  if (hook instanceof Response) return hook;
  const { shop, payload } = hook;
  const current = Array.isArray(payload?.current) ? payload.current.map(String).filter((s: string) => SCOPE.test(s)) : [];
  await recordScopes(shop, current);
  // Newly granted pixel scopes: the web pixel can be activated now.
  if (current.includes("write_pixels")) await enqueueAfterInstall(shop);
  return new Response();
};
