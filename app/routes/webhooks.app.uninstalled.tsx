import type { ActionFunctionArgs } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { recordUninstall } from "../lib/shops.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await authenticate.webhook(request);
  // Redeliveries are harmless: removing sessions and marking uninstalled is idempotent.
  await recordUninstall(shop);
  return new Response();
};
