// A segment's members, paged server-side with keyset pagination (no OFFSET: page 2,000 costs what
// page 1 costs) and sortable by the features. Sort columns come from a fixed allow-list; the cursor
// is data, bound as parameters, never SQL.
import { Prisma } from "../generated/prisma/client";
import prisma from "../db.server";

export const MEMBER_SORTS = {
  customer: { sql: "m.customer_id", kind: "id" },
  entered: { sql: "m.entered_at", kind: "date" },
  orders: { sql: "coalesce(f.orders_count, 0)::numeric", kind: "number" },
  spend: { sql: "coalesce(f.spend_lifetime, 0)", kind: "number" },
  aov: { sql: "coalesce(f.aov, 0)", kind: "number" },
  lastOrder: { sql: "coalesce(f.last_order_at, 'epoch'::timestamptz)", kind: "date" },
} as const;
export type MemberSort = keyof typeof MEMBER_SORTS;
export const PAGE_SIZE = 50;

export interface MemberRow {
  customerId: string;
  enteredAt: string;
  ordersCount: number;
  spendLifetime: string;
  aov: string | null;
  lastOrderAt: string | null;
  rfmGroup: string | null;
}

export interface MemberPage {
  rows: MemberRow[];
  total: number;
  sort: MemberSort;
  direction: "asc" | "desc";
  next: string | null;
  previous: string | null;
}

export interface MemberQuery {
  sort?: string | null;
  direction?: string | null;
  after?: string | null;
  before?: string | null;
  limit?: number;
}

interface Cursor {
  v: string;
  id: string;
}

function encodeCursor(c: Cursor) {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

function decodeCursor(raw: string | null | undefined): Cursor | null {
  if (!raw) return null;
  try {
    const c = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as Cursor;
    if (typeof c.v !== "string" || typeof c.id !== "string" || !/^\d{1,20}$/.test(c.id)) return null;
    return c;
  } catch {
    return null;
  }
}

export function parseSort(sort: string | null | undefined): MemberSort {
  return sort && Object.prototype.hasOwnProperty.call(MEMBER_SORTS, sort) ? (sort as MemberSort) : "spend";
}

export async function listMembers(shopId: number, segmentKey: string, query: MemberQuery = {}): Promise<MemberPage> {
  const sort = parseSort(query.sort);
  const direction = query.direction === "asc" ? "asc" : "desc";
  const limit = Math.min(Math.max(query.limit ?? PAGE_SIZE, 1), 250);
  const def = MEMBER_SORTS[sort];
  const after = decodeCursor(query.after);
  const before = after ? null : decodeCursor(query.before);
  const cursor = after ?? before;
  // Paging backwards reads the other way and flips the page afterwards.
  const forward = !before;
  const readDesc = (direction === "desc") === forward;
  const cmp = readDesc ? "<" : ">";
  const order = readDesc ? "desc" : "asc";
  const sortSql = Prisma.raw(def.sql);
  const cast = Prisma.raw(def.kind === "date" ? "::timestamptz" : def.kind === "id" ? "::bigint" : "::numeric");
  const seek = cursor
    ? Prisma.sql`and (${sortSql}, m.customer_id) ${Prisma.raw(cmp)} (${cursor.v}${cast}, ${BigInt(cursor.id)})`
    : Prisma.empty;
  type Row = { customer_id: bigint; entered_at: Date; orders_count: number | null; spend_lifetime: string | null; aov: string | null; last_order_at: Date | null; rfm_group: string | null; sort_value: string };
  const select = prisma.$queryRaw<Row[]>`select m.customer_id, m.entered_at, f.orders_count, f.spend_lifetime::text as spend_lifetime, f.aov::text as aov,
             f.last_order_at, f.rfm_group, (${sortSql})::text as sort_value
        from memberships m
        left join customer_features f on f.shop_id = m.shop_id and f.customer_id = m.customer_id
       where m.shop_id = ${shopId} and m.segment_key = ${segmentKey} ${seek}
       order by ${sortSql} ${Prisma.raw(order)}, m.customer_id ${Prisma.raw(order)}
       limit ${limit + 1}`;
  // Sorting by a feature needs every member's feature row: one hash join over the shop's feature
  // table beats one index probe per member (45,000 probes: ~400 ms; hash join: a fraction), and
  // the planner, seeing cheap random reads, would pick the probes. Customer and entry order
  // read the membership index directly.
  const byFeature = sort !== "customer" && sort !== "entered";
  const [rows, total] = await Promise.all([
    byFeature
      ? prisma.$transaction([prisma.$executeRaw`set local enable_nestloop = off`, select]).then(([, r]) => r)
      : select,
    prisma.membership.count({ where: { shopId, segmentKey } }),
  ]);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (!forward) page.reverse();
  const cursorOf = (r: (typeof rows)[number]) =>
    encodeCursor({ v: r.sort_value, id: String(r.customer_id) });
  const first = page[0];
  const last = page[page.length - 1];
  const hasNext = forward ? more : true;
  const hasPrevious = forward ? Boolean(cursor) : more;
  return {
    rows: page.map((r) => ({
      customerId: String(r.customer_id),
      enteredAt: r.entered_at.toISOString(),
      ordersCount: r.orders_count ?? 0,
      spendLifetime: r.spend_lifetime ?? "0",
      aov: r.aov,
      lastOrderAt: r.last_order_at ? r.last_order_at.toISOString() : null,
      rfmGroup: r.rfm_group,
    })),
    total,
    sort,
    direction,
    next: hasNext && last ? cursorOf(last) : null,
    previous: hasPrevious && first ? cursorOf(first) : null,
  };
}
