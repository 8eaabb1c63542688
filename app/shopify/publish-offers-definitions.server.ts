// Metafield definitions that let the theme extension read the app-owned offers (shop) and segments
// (customer) metafields in Liquid. Merchants can read them in the admin; only the app writes them.
import type { AdminClient } from "./admin-client.server";
import { CUSTOMER_SEGMENTS_METAFIELD, OFFERS_METAFIELD } from "../offers/feed";

export const CREATE_METAFIELD_DEFINITION = `#graphql
  mutation CreateOfferMetafieldDefinition($definition: MetafieldDefinitionInput!) {
    metafieldDefinitionCreate(definition: $definition) {
      createdDefinition { id namespace key }
      userErrors { field message code }
    }
  }
`;

interface CreateDefinitionData {
  metafieldDefinitionCreate: {
    createdDefinition: { id: string; namespace: string; key: string } | null;
    userErrors: { field: string[] | null; message: string; code: string | null }[];
  };
}

export const OFFER_METAFIELD_DEFINITIONS = [
  {
    name: "Segment Sync offers",
    description: "The storefront offers Segment Sync publishes for its theme blocks.",
    namespace: OFFERS_METAFIELD.namespace,
    key: OFFERS_METAFIELD.key,
    type: OFFERS_METAFIELD.type,
    ownerType: "SHOP",
    access: { admin: "MERCHANT_READ", storefront: "PUBLIC_READ" },
  },
  {
    name: "Segment Sync segments",
    description: "The customer's Segment Sync segments and current offer.",
    namespace: CUSTOMER_SEGMENTS_METAFIELD.namespace,
    key: CUSTOMER_SEGMENTS_METAFIELD.key,
    type: CUSTOMER_SEGMENTS_METAFIELD.type,
    ownerType: "CUSTOMER",
    access: { admin: "MERCHANT_READ", storefront: "PUBLIC_READ" },
  },
] as const;

/** Creates both definitions; one that already exists (code TAKEN) counts as done. */
export async function ensureOfferMetafieldDefinitions(admin: AdminClient): Promise<{ created: string[]; existing: string[] }> {
  const created: string[] = [];
  const existing: string[] = [];
  for (const definition of OFFER_METAFIELD_DEFINITIONS) {
    const data = await admin.request<CreateDefinitionData>(CREATE_METAFIELD_DEFINITION, { definition });
    const { createdDefinition, userErrors } = data.metafieldDefinitionCreate;
    const label = `${definition.ownerType.toLowerCase()}.${definition.key}`;
    if (createdDefinition) created.push(label);
    else if (userErrors.length > 0 && userErrors.every((e) => e.code === "TAKEN")) existing.push(label);
    else throw new Error(`Could not create the ${label} metafield definition: ${userErrors.map((e) => e.message).join("; ")}`);
  }
  return { created, existing };
}
