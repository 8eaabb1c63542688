// Creates an offer's discount code in Shopify, usable only by the segment's members: a Shopify
// customer segment on our tag (`customer_tags CONTAINS 'seg:vip'`) and a basic code discount whose
// buyers are that segment. A shared code is then useless to anyone outside the segment.
import prisma from "../db.server";
import { GUEST_AUDIENCE } from "../offers/feed";
import { recordOfferDiscount } from "../offers/offers.server";
import { adminFor, type AdminClient } from "./admin-client.server";

export const CREATE_SEGMENT = `#graphql
  mutation CreateOfferSegment($name: String!, $query: String!) {
    segmentCreate(name: $name, query: $query) {
      segment { id name query }
      userErrors { field message }
    }
  }
`;

export const FIND_SEGMENT = `#graphql
  query FindOfferSegment($query: String!) {
    segments(first: 50, query: $query) {
      nodes { id name query }
    }
  }
`;

export const CREATE_CODE_DISCOUNT = `#graphql
  mutation CreateOfferDiscount($discount: DiscountCodeBasicInput!) {
    discountCodeBasicCreate(basicCodeDiscount: $discount) {
      codeDiscountNode { id }
      userErrors { field message code }
    }
  }
`;

export type DiscountValue = { percentage: number } | { amount: string };

export interface SegmentDiscountRequest {
  offerId: number;
  title: string;
  code: string;
  segmentKey: string;
  /** The shop's tag prefix (default `seg:`). */
  tagPrefix: string;
  value: DiscountValue;
  startsAt: Date | null;
  endsAt: Date | null;
  appliesOncePerCustomer?: boolean;
}

/** The Shopify segment query for the members of one of our segments (its tag). */
export function segmentQueryFor(tagPrefix: string, segmentKey: string) {
  if (segmentKey === GUEST_AUDIENCE) throw new Error("The guest offer's code is for every visitor: create it in Shopify's Discounts page instead.");
  const tag = `${tagPrefix}${segmentKey}`;
  if (/['\\]/.test(tag)) throw new Error(`The tag ${tag} cannot be used in a Shopify segment query (quote or backslash).`);
  return `customer_tags CONTAINS '${tag}'`;
}

async function ensureShopifySegment(admin: AdminClient, name: string, query: string): Promise<string> {
  const created = await admin.request<{
    segmentCreate: { segment: { id: string } | null; userErrors: { field: string[] | null; message: string }[] };
  }>(CREATE_SEGMENT, { name, query });
  if (created.segmentCreate.segment) return created.segmentCreate.segment.id;
  // Taken: created by an earlier attempt whose discount failed; reuse it when it selects the same customers.
  const found = await admin.request<{ segments: { nodes: { id: string; name: string; query: string }[] } | null }>(FIND_SEGMENT, {
    query: `name:'${name.replace(/'/g, "")}'`,
  });
  const same = (found.segments?.nodes ?? []).find((s) => s.name === name && s.query === query);
  if (same) return same.id;
  throw new Error(`Could not create the Shopify segment "${name}": ${created.segmentCreate.userErrors.map((e) => e.message).join("; ")}`);
}

/** Creates the segment (or reuses ours) and the code; records the discount id on the offer. */
export async function createSegmentDiscount(shopDomain: string, request: SegmentDiscountRequest, options: { admin?: AdminClient } = {}) {
  const admin = options.admin ?? adminFor(shopDomain);
  const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: shopDomain }, select: { id: true } });
  // One Shopify segment per offer, named after it: the merchant sees who can use which code.
  const segmentName = `Segment Sync: ${request.segmentKey} (offer ${request.offerId})`;
  const segmentId = await ensureShopifySegment(admin, segmentName, segmentQueryFor(request.tagPrefix, request.segmentKey));
  const value =
    "percentage" in request.value
      ? { percentage: request.value.percentage }
      : { discountAmount: { amount: request.value.amount, appliesOnEachItem: false } };
  const data = await admin.request<{
    discountCodeBasicCreate: { codeDiscountNode: { id: string } | null; userErrors: { field: string[] | null; message: string; code: string | null }[] };
  }>(CREATE_CODE_DISCOUNT, {
    discount: {
      title: request.title,
      code: request.code,
      startsAt: (request.startsAt ?? new Date()).toISOString(),
      endsAt: request.endsAt?.toISOString() ?? null,
      context: { customerSegments: { add: [segmentId] } },
      customerGets: { value, items: { all: true } },
      appliesOncePerCustomer: request.appliesOncePerCustomer ?? true,
    },
  });
  const { codeDiscountNode, userErrors } = data.discountCodeBasicCreate;
  if (!codeDiscountNode) throw new Error(`Shopify refused the discount code ${request.code}: ${userErrors.map((e) => e.message).join("; ")}`);
  await recordOfferDiscount(shop.id, request.offerId, codeDiscountNode.id);
  return { discountId: codeDiscountNode.id, segmentId };
}
