import type { AdminClient } from "./admin-client.server";

export const GET_CUSTOMER_METAFIELD = `#graphql
  query PushCustomerMetafield($id: ID!, $namespace: String!, $key: String!) {
    customer(id: $id) {
      id
      metafield(namespace: $namespace, key: $key) { value compareDigest }
    }
  }
`;

/** The customer's metafield as Shopify holds it now (for compare-and-set after STALE_OBJECT). */
export async function getCustomerMetafield(
  admin: AdminClient,
  id: string,
  namespace: string,
  key: string,
): Promise<{ exists: boolean; value: string | null; compareDigest: string | null }> {
  const data = await admin.request<{ customer: { metafield: { value: string; compareDigest: string } | null } | null }>(GET_CUSTOMER_METAFIELD, {
    id,
    namespace,
    key,
  });
  if (!data.customer) return { exists: false, value: null, compareDigest: null };
  return { exists: true, value: data.customer.metafield?.value ?? null, compareDigest: data.customer.metafield?.compareDigest ?? null };
}
