import type { AdminClient } from "./admin-client.server";

export const METAFIELDS_SET_CUSTOMERS = `#graphql
  mutation PushCustomerMetafields($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields { id key namespace compareDigest owner { ... on Customer { id } } }
      userErrors { field message code elementIndex }
    }
  }
`;

/** Shopify's limit per metafieldsSet call. */
export const METAFIELDS_PER_CALL = 25;

export interface CustomerMetafieldInput {
  ownerId: string;
  namespace: string;
  key: string;
  type: string;
  value: string;
  /** Omit: no guarantee; null: the metafield must not exist yet; a digest: must still hold that value. */
  compareDigest?: string | null;
}

export interface MetafieldsSetResult {
  /** Written metafields (all of the batch, or none: the call is atomic). */
  written: { ownerId: string; compareDigest: string }[];
  userErrors: { field: string[] | null; message: string; code: string | null; elementIndex: number | null }[];
}

/** Writes up to 25 customer metafields in one atomic call. */
export async function metafieldsSetCustomers(admin: AdminClient, metafields: CustomerMetafieldInput[]): Promise<MetafieldsSetResult> {
  if (metafields.length > METAFIELDS_PER_CALL) throw new Error(`metafieldsSet takes at most ${METAFIELDS_PER_CALL} metafields per call`);
  const data = await admin.request<{
    metafieldsSet: {
      metafields: { id: string; compareDigest: string; owner: { id?: string } | null }[] | null;
      userErrors: MetafieldsSetResult["userErrors"];
    };
  }>(METAFIELDS_SET_CUSTOMERS, { metafields });
  const written = (data.metafieldsSet.metafields ?? []).map((m, i) => ({ ownerId: m.owner?.id ?? metafields[i].ownerId, compareDigest: m.compareDigest }));
  return { written, userErrors: data.metafieldsSet.userErrors };
}
