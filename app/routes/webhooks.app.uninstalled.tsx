import type { ActionFunctionArgs } from "@remix-run/node";
import { authenticateWebhook } from "../lib/webhook-auth.server";
import { recordUninstall } from "../lib/shops.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const hook = await authenticateWebhook(request);
  if (hook instanceof Response) return hook;
  const { shop } = hook;
  // Redeliveries are harmless: removing sessions and marking uninstalled is idempotent.
  await recordUninstall(shop);
  return new Response();
};
