import type { AdminClient } from "./admin-client.server";

export const GET_CUSTOMER_TAGS = `#graphql
  query PushCustomerTags($id: ID!) {
    customer(id: $id) {
      id
      tags
    }
  }
`;

/** Every tag the customer holds in Shopify (ours and everyone else's), or null when the customer is gone. */
export async function getCustomerTags(admin: AdminClient, id: string): Promise<string[] | null> {
  const data = await admin.request<{ customer: { id: string; tags: string[] } | null }>(GET_CUSTOMER_TAGS, { id });
  return data.customer?.tags ?? null;
}
