// Publishes the shop's active offers to the app-owned shop metafield the theme extension reads.
import prisma from "../db.server";
import { OFFERS_METAFIELD } from "../offers/feed";
import { buildOffersMetafield } from "../offers/offers.server";
import { adminFor, type AdminClient } from "./admin-client.server";
import { ensureOfferMetafieldDefinitions } from "./publish-offers-definitions.server";

export const SHOP_ID = `#graphql
  query OffersShopId {
    shop { id }
  }
`;

export const SET_OFFERS_METAFIELD = `#graphql
  mutation SetOffersMetafield($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields { id namespace key updatedAt }
      userErrors { field message code }
    }
  }
`;

interface SetData {
  metafieldsSet: {
    metafields: { id: string; namespace: string; key: string }[] | null;
    userErrors: { field: string[] | null; message: string; code: string | null }[];
  };
}

/** Sends a prepared value (a serialised OffersFeed) to the shop metafield. */
export async function setOffersMetafield(admin: AdminClient, value: string) {
  const { shop } = await admin.request<{ shop: { id: string } }>(SHOP_ID);
  const data = await admin.request<SetData>(SET_OFFERS_METAFIELD, {
    metafields: [{ ownerId: shop.id, namespace: OFFERS_METAFIELD.namespace, key: OFFERS_METAFIELD.key, type: OFFERS_METAFIELD.type, value }],
  });
  const { userErrors, metafields } = data.metafieldsSet;
  if (userErrors.length > 0 || !metafields?.length)
    throw new Error(`Shopify refused the offers metafield: ${userErrors.map((e) => e.message).join("; ") || "no metafield returned"}`);
  return metafields[0];
}

/**
 * Builds the shop's offers feed and publishes it, making sure first that the metafield definitions
 * exist (idempotent; 2 mutations). Call after any offer change and after the opt-out tag setting
 * changes; dates inside the feed are enforced by Liquid, so an offer starting or ending needs no
 * republish. Throws OffersFeedTooLargeError (nothing sent) or an Error carrying Shopify's message.
 */
export async function publishOffers(shopDomain: string, options: { now?: Date; admin?: AdminClient } = {}) {
  const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: shopDomain }, select: { id: true } });
  const { feed, value, bytes } = await buildOffersMetafield(shop.id, options.now ?? new Date());
  const admin = options.admin ?? adminFor(shopDomain);
  await ensureOfferMetafieldDefinitions(admin);
  await setOffersMetafield(admin, value);
  return { offers: feed.offers.length, bytes };
}
