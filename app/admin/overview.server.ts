// The overview's view model: segment sizes and their change, revenue share, sizes over time, the
// RFM grid of the whole customer base and sync health. Every query is bounded by the shop id.
import prisma from "../db.server";
import type { AdminShop } from "./context.server";
import { listShopSegments } from "./segment-list.server";

export interface SegmentSummary {
  key: string;
  name: string;
  kind: string;
  enabled: boolean;
  size: number;
  change7d: number | null;
  change30d: number | null;
  revenueShare: number | null;
}

export interface SizeSeries {
  key: string;
  name: string;
  points: { day: string; size: number }[];
}

export interface RfmCell {
  r: number;
  f: number;
  customers: number;
}

export interface SyncHealth {
  lastWebhookAt: string | null;
  backlog: number;
  parked: number;
  failed: number;
  lastRun: { kind: string; status: string; finishedAt: string | null; createdAt: string } | null;
}

export interface Overview {
  customers: number;
  scored: number;
  segments: SegmentSummary[];
  series: SizeSeries[];
  rfmGrid: RfmCell[];
  rfmGroups: { group: string; customers: number }[];
  sync: SyncHealth;
}

const CHART_KEYS = ["vip", "one-time", "lost", "big-spender"];
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const dayIso = (d: Date) => d.toISOString().slice(0, 10);

export async function loadOverview(shop: AdminShop): Promise<Overview> {
  const shopId = shop.id;
  const [segments, customers, sizes, past7, past30, revenue, totalRevenue, history, grid, groups, health] = await Promise.all([
    listShopSegments(shopId),
    prisma.customer.count({ where: { shopId, deletedAt: null } }),
    prisma.$queryRaw<{ key: string; size: bigint }[]>`
      select segment_key as key, count(*) as size from memberships where shop_id = ${shopId} group by segment_key`,
    sizeOn(shop, 7),
    sizeOn(shop, 30),
    prisma.$queryRaw<{ key: string; spend: string | null }[]>`
      select m.segment_key as key, sum(f.spend_lifetime)::text as spend
        from memberships m join customer_features f on f.shop_id = m.shop_id and f.customer_id = m.customer_id
       where m.shop_id = ${shopId} group by m.segment_key`,
    prisma.$queryRaw<{ spend: string | null }[]>`
      select sum(spend_lifetime)::text as spend from customer_features where shop_id = ${shopId}`,
    prisma.$queryRaw<{ key: string; day: Date; size: number }[]>`
      select segment_key as key, day, size from segment_daily_stats
       where shop_id = ${shopId} and day >= (now() at time zone ${shop.timezone})::date - 90
       order by day`,
    prisma.$queryRaw<{ r: number; f: number; customers: bigint }[]>`
      select r_score as r, f_score as f, count(*) as customers from customer_features
       where shop_id = ${shopId} and r_score is not null and f_score is not null group by 1, 2`,
    prisma.$queryRaw<{ group: string; customers: bigint }[]>`
      select rfm_group as group, count(*) as customers from customer_features
       where shop_id = ${shopId} and rfm_group is not null group by 1 order by 2 desc`,
    loadSyncHealth(shop),
  ]);
  const sizeBy = new Map(sizes.map((s) => [s.key, Number(s.size)]));
  const spendBy = new Map(revenue.map((r) => [r.key, Number(r.spend ?? 0)]));
  const total = Number(totalRevenue[0]?.spend ?? 0);
  const summaries: SegmentSummary[] = segments.map((s) => {
    const size = sizeBy.get(s.key) ?? 0;
    const before7 = past7.get(s.key);
    const before30 = past30.get(s.key);
    return {
      key: s.key,
      name: s.name,
      kind: s.kind,
      enabled: s.enabled,
      size,
      change7d: before7 === undefined ? null : size - before7,
      change30d: before30 === undefined ? null : size - before30,
      revenueShare: total > 0 ? (spendBy.get(s.key) ?? 0) / total : null,
    };
  });
  const names = new Map(segments.map((s) => [s.key, s.name]));
  const series: SizeSeries[] = CHART_KEYS.filter((k) => names.has(k)).map((key) => ({
    key,
    name: names.get(key) ?? key,
    points: history.filter((h) => h.key === key).map((h) => ({ day: dayIso(h.day), size: h.size })),
  }));
  const rfmGrid = grid.map((c) => ({ r: c.r, f: c.f, customers: Number(c.customers) }));
  return {
    customers,
    scored: rfmGrid.reduce((n, c) => n + c.customers, 0),
    segments: summaries,
    series: series.some((s) => s.points.length > 0) ? series : [],
    rfmGrid,
    rfmGroups: groups.map((g) => ({ group: g.group, customers: Number(g.customers) })),
    sync: health,
  };
}

/** Each segment's size on the latest recorded shop-local day at least `daysAgo` days back. */
async function sizeOn(shop: AdminShop, daysAgo: number): Promise<Map<string, number>> {
  const rows = await prisma.$queryRaw<{ key: string; size: number }[]>`
    select distinct on (segment_key) segment_key as key, size from segment_daily_stats
     where shop_id = ${shop.id} and day <= (now() at time zone ${shop.timezone})::date - ${daysAgo}::int
     order by segment_key, day desc`;
  return new Map(rows.map((r) => [r.key, r.size]));
}

export async function loadSyncHealth(shop: AdminShop): Promise<SyncHealth> {
  const [last, counts, run] = await Promise.all([
    prisma.webhookEvent.findFirst({ where: { shop: shop.domain }, orderBy: { receivedAt: "desc" }, select: { receivedAt: true } }),
    prisma.webhookEvent.groupBy({ by: ["status"], where: { shop: shop.domain, status: { in: ["received", "stored", "parked", "failed"] } }, _count: { _all: true } }),
    prisma.syncRun.findFirst({ where: { shopId: shop.id }, orderBy: { createdAt: "desc" } }),
  ]);
  const count = (...statuses: string[]) => counts.filter((c) => statuses.includes(c.status)).reduce((n, c) => n + c._count._all, 0);
  return {
    lastWebhookAt: iso(last?.receivedAt),
    backlog: count("received", "stored"),
    parked: count("parked"),
    failed: count("failed"),
    lastRun: run ? { kind: run.kind, status: run.status, finishedAt: iso(run.finishedAt), createdAt: run.createdAt.toISOString() } : null,
  };
}
