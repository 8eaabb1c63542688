import type { ActionFunctionArgs } from "@remix-run/node";
import { receiveWebhook } from "../sync/receive-webhook.server";

export const action = async ({ request }: ActionFunctionArgs) => receiveWebhook(request);
