import type { AdminClient } from "./admin-client.server";

export const FLOW_TRIGGER_RECEIVE = `#graphql
  mutation PushFlowTrigger($handle: String!, $payload: JSON!) {
    flowTriggerReceive(handle: $handle, payload: $payload) {
      userErrors { field message }
    }
  }
`;

/** Fires the Flow trigger extension `handle` with `payload` (< 1 MB). Returns Shopify's user errors. */
export async function flowTriggerReceive(admin: AdminClient, handle: string, payload: Record<string, unknown>) {
  const data = await admin.request<{ flowTriggerReceive: { userErrors: { field: string[] | null; message: string }[] } }>(FLOW_TRIGGER_RECEIVE, {
    handle,
    payload,
  });
  return data.flowTriggerReceive.userErrors;
}
