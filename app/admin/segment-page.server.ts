// The segment page's view model: definition and settings, members (keyset pages), each member's
// "why", and entries/exits over time. Bounded by the shop id throughout.
import prisma from "../db.server";
import { explainMembership, type ExplainNode } from "../segments/index.server";
import type { CatalogueRule, Rule } from "../segments/rules";
import type { AdminShop } from "./context.server";
import { listMembers, type MemberPage, type MemberQuery } from "./members.server";
import { listShopSegments, type SegmentInfo } from "./segment-list.server";
import { segmentRule } from "./segment-rule.server";

export interface HistoryPoint {
  day: string;
  size: number;
  entries: number;
  exits: number;
  revenue: string;
}

/** One condition of the rule: the customer's value against the threshold, met or not. */
export interface WhyItem {
  /** Nesting under and/or/not groups, for indentation. */
  depth: number;
  /** and | or | not for a group row; cmp | stat | segment | never for a condition. */
  op: string;
  feature: string | null;
  segment: string | null;
  stat: string | null;
  cmp: string | null;
  value: string | null;
  threshold: string | null;
  pass: boolean;
}

export interface Why {
  customerId: string;
  member: boolean;
  matches: boolean;
  optedOut: boolean;
  found: boolean;
  since: string | null;
  asOfDay: string | null;
  items: WhyItem[];
}

export interface SegmentPage {
  segment: SegmentInfo;
  rule: Rule | CatalogueRule | null;
  members: MemberPage;
  history: HistoryPoint[];
}

export async function loadSegmentPage(shop: AdminShop, key: string, query: MemberQuery): Promise<SegmentPage | null> {
  const all = await listShopSegments(shop.id);
  const segment = all.find((s) => s.key === key);
  if (!segment) return null;
  const lostDays = all.find((s) => s.key === "lost")?.settings.olderThanDays;
  const [members, history] = await Promise.all([listMembers(shop.id, key, query), segmentHistory(shop, key, 90)]);
  return { segment, rule: segmentRule(segment, lostDays) ?? null, members, history };
}

export async function segmentHistory(shop: AdminShop, key: string, days: number): Promise<HistoryPoint[]> {
  const rows = await prisma.$queryRaw<{ day: Date; size: number; entries: number; exits: number; revenue: string }[]>`
    select day, size, entries, exits, revenue::text as revenue from segment_daily_stats
     where shop_id = ${shop.id} and segment_key = ${key} and day >= (now() at time zone ${shop.timezone})::date - ${days}::int
     order by day`;
  return rows.map((r) => ({ day: r.day.toISOString().slice(0, 10), size: r.size, entries: r.entries, exits: r.exits, revenue: r.revenue }));
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === "object" ? JSON.stringify(v) : String(v));

/** The engine's explanation tree as rows (groups, then their conditions, indented). */
export function flattenExplanation(node: ExplainNode, depth = 0, out: WhyItem[] = []): WhyItem[] {
  const group = node.op === "and" || node.op === "or" || node.op === "not";
  out.push({
    depth,
    op: node.op,
    feature: node.feature ?? null,
    segment: node.segment ?? null,
    stat: node.stat ?? null,
    cmp: node.cmp ?? null,
    value: group ? null : text(node.value),
    threshold: group ? null : text(node.threshold),
    pass: node.pass,
  });
  for (const child of node.children ?? []) flattenExplanation(child, depth + 1, out);
  return out;
}

/** Why a customer of this shop is (or is not) in the segment. Null when the shop has no such customer or segment. */
export async function explainMember(shop: AdminShop, key: string, customerId: string): Promise<Why | null> {
  if (!/^\d{1,19}$/.test(customerId)) return null;
  const id = BigInt(customerId);
  const [customer, membership, segments] = await Promise.all([
    prisma.customer.findUnique({ where: { shopId_id: { shopId: shop.id, id } }, select: { id: true } }),
    prisma.membership.findUnique({ where: { shopId_segmentKey_customerId: { shopId: shop.id, segmentKey: key, customerId: id } } }),
    listShopSegments(shop.id),
  ]);
  if ((!customer && !membership) || !segments.some((s) => s.key === key)) return null;
  const e = await explainMembership(shop.id, id, key);
  return {
    customerId,
    member: e.member,
    matches: e.matches,
    optedOut: e.optedOut,
    found: e.found,
    since: membership ? membership.enteredAt.toISOString() : null,
    asOfDay: e.asOfDay,
    items: flattenExplanation(e.rule),
  };
}
