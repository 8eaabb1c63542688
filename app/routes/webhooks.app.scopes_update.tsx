import type { ActionFunctionArgs } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { recordScopes } from "../lib/shops.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, payload } = await authenticate.webhook(request);
  const current = Array.isArray(payload?.current) ? payload.current.map(String) : [];
  await recordScopes(shop, current);
  return new Response();
};
