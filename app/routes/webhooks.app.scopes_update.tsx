import type { ActionFunctionArgs } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { recordScopes } from "../lib/shops.server";
import { enqueueAfterInstall } from "../jobs/install.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, payload } = await authenticate.webhook(request);
  const current = Array.isArray(payload?.current) ? payload.current.map(String) : [];
  await recordScopes(shop, current);
  // Newly granted pixel scopes: the web pixel can be activated now.
  if (current.includes("write_pixels")) await enqueueAfterInstall(shop);
  return new Response();
};
