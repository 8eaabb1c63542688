// The segment engine: per-customer roll-ups and features, shop statistics, memberships and the
// change log, in set-based SQL. Two paths share the same SQL text and differ only in scope:
// recomputeShop (every customer of a shop, statistics refreshed) and recomputeCustomers (the
// customers an applied event touched, statistics read). See docs/decisions/0003-segment-engine.md.
import { createHash } from "node:crypto";
import type pg from "pg";
import { CATALOGUE, RFM_GRID, RFM_GROUPS, catalogueEntry, rfmSegmentKey } from "./catalogue";
import { FEATURES, STATS } from "./features";
import { enginePool, inTransaction } from "./pool.server";
import { Params, compileRule, ruleInputs, whySql, type CatalogueRule, type Rule } from "./rules";
import { listSegments, segmentsFromRows, type SegmentRow, type SegmentSettings } from "./settings.server";

type Client = pg.PoolClient;

const TRACE = process.env.SEGSYNC_ENGINE_TRACE === "1";

/** `($2::bigint[] is null or x = any($2::bigint[]))`: the scope test every path statement carries. */
const SCOPE = /\(\$2::bigint\[\] is null or ([\w.]+) = any\(\$2::bigint\[\]\)\)/g;
/** Prepared statements kept per connection (each distinct text is one; custom rules vary the text). */
const MAX_PREPARED = 64;
const prepared = new WeakMap<object, Set<string>>();

/**
 * Runs `sql` with only the parameters it references (renumbered), so statements can share one
 * fixed parameter list; Postgres rejects parameters whose type it cannot infer from use. The scope
 * test is resolved before planning (whole shop: `true`; customers: an index condition), so a
 * customer-scoped statement can be prepared once per connection and run on its cached plan.
 */
async function run<R extends pg.QueryResultRow = Record<string, unknown>>(
  db: Pick<Client, "query">,
  sql: string,
  values: unknown[],
  options: { prepare?: boolean } = {},
) {
  const { text, order, hash } = rewrite(sql, values[1] === null);
  const used = order.map((i) => values[i - 1]);
  let name: string | undefined;
  if (options.prepare) {
    const key = (db as { connection?: object }).connection ?? db;
    const names = prepared.get(key) ?? new Set<string>();
    prepared.set(key, names);
    const candidate = `seg_${hash}`;
    if (names.has(candidate) || names.size < MAX_PREPARED) {
      names.add(candidate);
      name = candidate;
    }
  }
  const t = TRACE ? performance.now() : 0;
  const res = await db.query<R>(name ? { name, text, values: used } : { text, values: used });
  if (TRACE) console.log(`[engine] ${(performance.now() - t).toFixed(1)} ms ${text.replace(/\s+/g, " ").trim().slice(0, 90)}`);
  return res;
}

/** Rewritten texts by scope (the statements are a few constant or once-compiled strings): no regex or hash per event. */
const rewritten = [new Map<string, { text: string; order: number[]; hash: string }>(), new Map<string, { text: string; order: number[]; hash: string }>()];
const MAX_REWRITTEN = 1000;

function rewrite(sql: string, whole: boolean) {
  const cache = rewritten[whole ? 1 : 0];
  let hit = cache.get(sql);
  if (!hit) {
    const map = new Map<number, number>();
    const order: number[] = [];
    const text = sql
      .replace(SCOPE, (_, column: string) => (whole ? "true" : `${column} = any($2::bigint[])`))
      .replace(/\$(\d+)/g, (_, d: string) => {
        const i = Number(d);
        let j = map.get(i);
        if (j === undefined) {
          order.push(i);
          j = order.length;
          map.set(i, j);
        }
        return `$${j}`;
      });
    hit = { text, order, hash: createHash("sha1").update(text).digest("hex").slice(0, 20) };
    if (cache.size >= MAX_REWRITTEN) cache.delete(cache.keys().next().value!);
    cache.set(sql, hit);
  }
  return hit;
}
type Source = "full" | "incremental" | "reevaluate";

interface ShopContext {
  tz: string;
  today: string;
  cutoffs: Date[];
  segments: SegmentSettings[];
}

export const WINDOWS = [0, 30, 90, 182, 365];

const CONTEXT_SELECT = `
  select timezone, t.today::text as today,
         array(select ((t.today - w)::timestamp at time zone timezone) from unnest($3::int[]) with ordinality u(w, i) order by i) as cutoffs,
         coalesce((select json_agg(json_build_object('key', g.key, 'kind', g.kind, 'name', g.name, 'enabled', g.enabled, 'definition', g.definition) order by g.key)
                     from segments g where g.shop_id = shops.id), '[]') as segments
    from shops cross join lateral (select (($2::timestamptz) at time zone timezone)::date as today) t where id = $1`;

interface ContextRow {
  timezone: string;
  today: string;
  cutoffs: Date[];
  segments: SegmentRow[];
}

function contextOf(shopId: number, row: ContextRow | undefined): ShopContext {
  if (!row) throw new Error(`Shop ${shopId} does not exist.`);
  return { tz: row.timezone, today: row.today, cutoffs: row.cutoffs, segments: segmentsFromRows(row.segments) };
}

async function loadContext(db: Client, shopId: number, now: Date): Promise<ShopContext> {
  const { rows } = await db.query<ContextRow>(CONTEXT_SELECT, [shopId, now, WINDOWS]);
  return contextOf(shopId, rows[0]);
}

/** The rule tree of a segment with the shop's settings (catalogue), or its custom rule. */
export function ruleOf(segment: SegmentSettings, all: SegmentSettings[]): CatalogueRule | Rule {
  if (segment.kind === "custom") return segment.rule!;
  if (segment.kind === "rfm") return { op: "cmp", feature: "rfm_group", cmp: "=", value: segment.key.slice(4) };
  const entry = catalogueEntry(segment.key)!;
  const lost = all.find((s) => s.key === "lost")!;
  return entry.rule({ ...segment.settings, lostOlderThanDays: lost.settings.olderThanDays });
}

// ---------------------------------------------------------------------------------------------
// Fixed parameters of every statement below: $1 shop, $2 customer ids (null = whole shop),
// $3 now, $4 today (shop-local date), $5 shop timezone, $6 source of the change, and $7..$11 the
// instants where the shop-local days today, today-30, today-90, today-182 and today-365 begin
// ("within N days" = on or after the start of local day today-N: no per-order timezone math).

const FIXED = (shopId: number, ids: bigint[] | null, now: Date, ctx: ShopContext, source: Source) => [
  shopId,
  ids === null ? null : ids.map(String),
  now,
  ctx.today,
  ctx.tz,
  source,
  ...ctx.cutoffs,
];

const VALID_ORDER = "o.cancelled_at is null and not o.test and o.deleted_at is null";

/**
 * Category roll-ups from line items: items in all, and the top product type and vendor (most items,
 * then the smaller name) with their items. Kept per customer in customer_features at ingest; the
 * full path reads them from there unless it rebuilds them.
 */
const CATEGORY_SELECT = `
  select t.customer_id, t.total_items, pt.value as top_product_type, coalesce(pt.items, 0) as top_product_type_items,
         pv.value as top_vendor, coalesce(pv.items, 0) as top_vendor_items, null::boolean as has_features
    from (select customer_id, sum(quantity)::int as total_items from seg_li group by 1) t
    left join (select distinct on (customer_id) customer_id, value, items
                 from (select customer_id, product_type as value, sum(quantity)::int as items from seg_li where product_type <> '' group by 1, 2) x
                where items > 0 order by customer_id, items desc, value) pt on pt.customer_id = t.customer_id
    left join (select distinct on (customer_id) customer_id, value, items
                 from (select customer_id, vendor as value, sum(quantity)::int as items from seg_li where vendor <> '' group by 1, 2) x
                where items > 0 order by customer_id, items desc, value) pv on pv.customer_id = t.customer_id`;

const LINE_ITEMS_SELECT = `
  select o.customer_id, coalesce(li.product_type, '') as product_type, coalesce(li.vendor, '') as vendor, li.quantity
    from orders o join line_items li on li.shop_id = o.shop_id and li.order_id = o.id
   where o.shop_id = $1 and o.customer_id is not null and ($2::bigint[] is null or o.customer_id = any($2::bigint[])) and ${VALID_ORDER}`;

/** The stored roll-ups, for a full recompute that does not rebuild them. */
const STORED_CATEGORIES = `
  select customer_id, total_items, top_product_type, top_product_type_items, top_vendor, top_vendor_items, true as has_features
    from customer_features where shop_id = $1`;

/**
 * Net spend, summed as numeric (exact). The aggregate streams groups in customer order (no hash
 * table whose per-group numeric state once spilled to disk), so a numeric sum costs less per order
 * than the bigint ten-thousandths it replaced (three numeric operations and a cast per order).
 */
const NET = "(o.total_price - o.refunded_amount)";

/** Per-customer order aggregates (guests grouped under a null customer in the full path). */
const AGG_SELECT = `
  select o.customer_id,
         count(*)::int as orders_count,
         (count(*) filter (where o.processed_at >= $8::timestamptz))::int as orders_30d,
         (count(*) filter (where o.processed_at >= $9::timestamptz))::int as orders_90d,
         (count(*) filter (where o.processed_at >= $10::timestamptz))::int as orders_182d,
         (count(*) filter (where o.processed_at >= $11::timestamptz))::int as orders_365d,
         sum(${NET})::numeric(18, 4) as spend_lifetime,
         coalesce(sum(${NET}) filter (where o.processed_at >= $11::timestamptz), 0)::numeric(18, 4) as spend_365d,
         coalesce(sum(${NET}) filter (where o.processed_at >= $7::timestamptz), 0)::numeric(18, 4) as spend_day,
         min(o.processed_at) as first_order_at,
         max(o.processed_at) as last_order_at,
         (min(round(date_part('epoch', o.processed_at) * 1000)::bigint * 1000000 + least(greatest(o.item_count, 0), 999999)) % 1000000)::int as first_order_items,
         (count(*) filter (where o.total_discounts > 0 or cardinality(o.discount_codes) > 0))::int as discounted_orders,
         (count(*) filter (where o.refunded_amount > 0))::int as refunded_orders
    from orders o
   where o.shop_id = $1 and ($2::bigint[] is null or o.customer_id = any($2::bigint[])) and ${VALID_ORDER}
   group by o.customer_id`;

/** Raw features per live customer (no RFM yet), from seg_agg and seg_cat. */
const FEATURE_SELECT = `
  select c.shop_id, c.id as customer_id, $4::date as as_of_day, c.opted_out,
         coalesce(a.orders_count, 0) as orders_count, coalesce(a.orders_30d, 0) as orders_30d,
         coalesce(a.orders_90d, 0) as orders_90d, coalesce(a.orders_182d, 0) as orders_182d,
         coalesce(a.orders_365d, 0) as orders_365d,
         coalesce(a.spend_lifetime, 0) as spend_lifetime, coalesce(a.spend_365d, 0) as spend_365d,
         round(a.spend_lifetime / nullif(a.orders_count, 0), 4) as aov,
         a.first_order_at, a.last_order_at,
         (a.first_order_at at time zone $5::text)::date as first_order_day, (a.last_order_at at time zone $5::text)::date as last_order_day,
         a.first_order_items,
         coalesce(a.discounted_orders, 0) as discounted_orders, coalesce(a.refunded_orders, 0) as refunded_orders,
         coalesce(a.spend_day, 0) as spend_day,
         coalesce(k.total_items, 0) as total_items,
         k.top_product_type, coalesce(k.top_product_type_items, 0) as top_product_type_items,
         k.top_vendor, coalesce(k.top_vendor_items, 0) as top_vendor_items,
         coalesce(k.has_features, exists (select 1 from customer_features pf where pf.shop_id = c.shop_id and pf.customer_id = c.id)) as has_features
    from customers c
    left join seg_agg a on a.customer_id = c.id
    left join seg_cat k on k.customer_id = c.id
   where c.shop_id = $1 and c.deleted_at is null and ($2::bigint[] is null or c.id = any($2::bigint[]))`;

const cut = (expr: string, arr: string) => [1, 2, 3, 4].map((k) => `coalesce(${expr} ${arr}[${k}], false)::int`).join(" + ");
const RFM_GRID_SQL = `(array[${RFM_GRID.flat().map((g) => `'${g}'`).join(", ")}])`;

const FEATURE_COLUMNS = [
  "opted_out", "orders_count", "orders_30d", "orders_90d", "orders_182d", "orders_365d", "spend_lifetime", "spend_365d",
  "aov", "first_order_at", "last_order_at", "first_order_day", "last_order_day", "first_order_items", "discounted_orders",
  "refunded_orders", "spend_day", "total_items", "top_product_type", "top_product_type_items", "top_vendor", "top_vendor_items",
];

const RFM_SCORES = `
    left join segment_shop_stats s on s.shop_id = n.shop_id
    cross join lateral (
      select case when n.orders_count > 0 and s.shop_id is not null then 1 + ${cut(`(n.as_of_day - n.last_order_day) <=`, "s.r_cuts")} end as r,
             case when n.orders_count > 0 and s.shop_id is not null then 1 + ${cut("n.orders_count >=", "s.f_cuts")} end as f,
             case when n.orders_count > 0 and s.shop_id is not null then 1 + ${cut("n.spend_lifetime >=", "s.m_cuts")} end as m
    ) sc`;
const VALUE_COLUMNS = [...FEATURE_COLUMNS, "r_score", "f_score", "m_score", "rfm_group"];

/**
 * Writes seg_nf into customer_features with RFM scores from the shop's cut points: updates only
 * rows whose values changed (a nightly run rewrites the few whose windows moved), inserts new ones.
 * For a few customers (and after a roll-up rebuild) the rows are computed once (materialised); for a
 * nightly run they stream into the update, and only rows without a stored feature row are computed
 * again for the insert.
 */
/** seg_nf with RFM scores and group: the rows to write. */
const curCte = (stream: boolean) => `
  cur as ${stream ? "not materialized" : "materialized"} (
    select n.shop_id, n.customer_id, n.as_of_day, n.has_features, ${FEATURE_COLUMNS.map((c) => `n.${c}`).join(", ")},
           sc.r as r_score, sc.f as f_score, sc.m as m_score,
           case when sc.r is not null then ${RFM_GRID_SQL}[(sc.r - 1) * 5 + (sc.f + sc.m + 1) / 2] end as rfm_group
      from seg_nf n ${RFM_SCORES})`;

const writeFeatures = (stream: boolean) => `${curCte(stream)},
  upd as (
    update customer_features f set as_of = $3, as_of_day = cur.as_of_day, updated_at = now(),
           ${VALUE_COLUMNS.map((c) => `${c} = cur.${c}`).join(", ")}
      from cur
     where f.shop_id = $1 and f.customer_id = cur.customer_id
       and (${VALUE_COLUMNS.map((c) => `f.${c}`).join(", ")}) is distinct from (${VALUE_COLUMNS.map((c) => `cur.${c}`).join(", ")})
    returning 1),
  ins as (
    insert into customer_features (shop_id, customer_id, as_of, as_of_day, ${VALUE_COLUMNS.join(", ")}, segments, updated_at)
    select cur.shop_id, cur.customer_id, $3, cur.as_of_day, ${VALUE_COLUMNS.map((c) => `cur.${c}`).join(", ")}, '{}', now()
      from cur
     -- known before this statement writes (true from the stored roll-ups the full path joined, else
     -- probed by key): an anti-join here would rescan the rows this insert is adding
     where not cur.has_features
    returning 1)
  select (select count(*) from upd)::int as updated, (select count(*) from ins)::int as inserted`;

/**
 * Appends the changes of CTE `ch(customer_id, key, change)` to the log (with a why), applies them to
 * memberships and counts them into today's daily statistics.
 */
function applyChangesTail(whyCase: string, detailCase: string, features = "left join customer_features f on f.shop_id = $1 and f.customer_id = ch.customer_id") {
  return `,
  log as (
    insert into membership_changes (shop_id, segment_key, customer_id, change, at, why)
    select $1, ch.key, ch.customer_id, ch.change, $3, ${whyCase}
      from ch
      ${features}
      left join segment_shop_stats s on s.shop_id = $1
     order by ch.customer_id, ch.key, ch.change
    returning 1),
  ins as (
    insert into memberships (shop_id, segment_key, customer_id, entered_at, detail)
    select $1, ch.key, ch.customer_id, $3, ${detailCase}
      from ch ${features}
     where ch.change = 'entered'
    on conflict (shop_id, segment_key, customer_id) do nothing
    returning 1),
  del as (
    delete from memberships m using ch
     where m.shop_id = $1 and m.segment_key = ch.key and m.customer_id = ch.customer_id and ch.change = 'left'
    returning 1),
  g as (select key, (count(*) filter (where change = 'entered'))::int as e, (count(*) filter (where change = 'left'))::int as x from ch group by key),
  daily as (
    insert into segment_daily_stats (shop_id, segment_key, day, size, entries, exits)
    select $1, g.key, $4::date, coalesce(p.size, 0) + g.e - g.x, g.e, g.x
      from g left join lateral (
        select d.size from segment_daily_stats d where d.shop_id = $1 and d.segment_key = g.key and d.day <= $4::date order by d.day desc limit 1
      ) p on true
    on conflict (shop_id, segment_key, day) do update set
      size = segment_daily_stats.size + excluded.entries - excluded.exits,
      entries = segment_daily_stats.entries + excluded.entries,
      exits = segment_daily_stats.exits + excluded.exits
    returning 1)
  select (select count(*) from ch)::int as changes,
         (select count(*) from log)::int as logged, (select count(*) from ins)::int as inserted,
         (select count(*) from del)::int as deleted, (select count(*) from daily)::int as days`;
}

const CATEGORY_DETAIL = `case when ch.key = 'category-loyal' then
    case when f.top_product_type_items >= f.top_vendor_items
         then jsonb_build_object('kind', 'product_type', 'value', f.top_product_type, 'items', f.top_product_type_items, 'of', f.total_items)
         else jsonb_build_object('kind', 'vendor', 'value', f.top_vendor, 'items', f.top_vendor_items, 'of', f.total_items) end
  end`;

/** Customers that were deleted or redacted (or vanished): their feature rows go, they leave every segment. */
function departedSql() {
  return `
  with gone as (
    delete from customer_features f
     where f.shop_id = $1 and ($2::bigint[] is null or f.customer_id = any($2::bigint[]))
       and not exists (select 1 from customers c where c.shop_id = $1 and c.id = f.customer_id and c.deleted_at is null)
    returning f.customer_id, coalesce(f.segments, '{}') as segs),
  ch as (select gone.customer_id, k.key, 'left'::text as change from gone cross join unnest(gone.segs) k(key))
  ${applyChangesTail(`jsonb_build_object('source', $6::text, 'deleted', true)`, "null::jsonb")}`;
}

/**
 * The evaluation of every enabled segment over features, diffed against the stored segments. With
 * `only` (a re-evaluation after a settings change), rows are first filtered on the membership of
 * those segments alone (the others cannot have changed); a row that passes gets its whole segment
 * array recomputed in the canonical order, as the other paths write it.
 */
function evaluateSql(ctx: ShopContext, params: Params, only?: ReadonlySet<string>, withFeatures = false) {
  const enabled = ctx.segments.filter((s) => s.enabled);
  const base: string[] = [];
  const member = new Map<string, string>();
  for (const seg of enabled.filter((s) => s.kind === "catalogue")) {
    const cond = compileRule(ruleOf(seg, ctx.segments), { params });
    member.set(seg.key, cond);
    base.push(`case when ${cond} then ${params.add(seg.key)}::text end`);
  }
  const rfmGroups = enabled.filter((s) => s.kind === "rfm").map((s) => s.key.slice(4));
  base.push(`case when f.rfm_group = any(${params.add(rfmGroups)}::text[]) then 'rfm-' || f.rfm_group end`);
  // A custom rule's "member of" reads the referenced segment's own condition (false when disabled).
  const memberSql = (key: string, p: Params) =>
    key.startsWith("rfm-")
      ? rfmGroups.includes(key.slice(4)) ? `coalesce(f.rfm_group = ${p.add(key.slice(4))}::text, false)` : "false"
      : member.has(key) ? `(${member.get(key)})` : "false";
  const customConds = new Map<string, string>();
  const custom = enabled
    .filter((s) => s.kind === "custom")
    .map((seg) => {
      const cond = compileRule(seg.rule!, { params, segmentSql: memberSql });
      customConds.set(seg.key, cond);
      return `case when ${cond} then ${params.add(seg.key)}::text end`;
    });
  // Per segment: is the row's stored membership not what the rule says now.
  const differs = (key: string) => {
    const seg = enabled.find((s) => s.key === key);
    const cond = !seg ? "false" : seg.kind === "rfm" ? memberSql(key, params) : seg.kind === "custom" ? customConds.get(key)! : member.get(key)!;
    return `((not f.opted_out and coalesce(${cond}, false)) is distinct from coalesce(${params.add(key)}::text = any(f.segments), false))`;
  };
  const filter = only ? `and (${[...only].sort().map(differs).join(" or ") || "false"})` : "";
  const whyParts: string[] = [];
  for (const seg of ctx.segments) {
    const rule = ruleOf(seg, ctx.segments);
    whyParts.push(`when ${params.add(seg.key)}::text then ${seg.kind === "rfm" ? RFM_WHY : whySql(rule)}`);
  }
  const whyCase = `jsonb_build_object('source', $6::text, 'opted_out', f.opted_out, 'values', case ch.key ${whyParts.join(" ")} else '{}'::jsonb end)`;
  const segs = `(case when f.opted_out then '{}'::text[]
                else array_remove(array[${[...base, ...custom].join(", ")}]::text[], null) end)`;
  const changes = `
  ch as (
    select d.customer_id, d.fr, k.key, 'entered'::text as change from upd d cross join unnest(d.new_segs) k(key) where not (k.key = any(d.old_segs))
    union all
    select d.customer_id, d.fr, k.key, 'left'::text from upd d cross join unnest(d.old_segs) k(key) where not (k.key = any(d.new_segs)))
  ${applyChangesTail(whyCase, CATEGORY_DETAIL, "cross join lateral (select (ch.fr).*) f")}`;
  if (withFeatures) {
    // The incremental path in one statement: the customers' features computed (cur, aliased f so
    // the rules read the new values), written together with their segments in one row version,
    // new customers inserted with theirs; the changes of both go to the log as below.
    return `
  with seg_agg as (${AGG_SELECT}), seg_li as (${LINE_ITEMS_SELECT}), seg_cat as (${CATEGORY_SELECT}), seg_nf as (${FEATURE_SELECT}), ${curCte(false)},
  written as (
    update customer_features t set as_of = $3, as_of_day = f.as_of_day, updated_at = now(),
           ${VALUE_COLUMNS.map((c) => `${c} = f.${c}`).join(", ")}, segments = ${segs}
      from cur f left join segment_shop_stats s on s.shop_id = $1
     where t.shop_id = $1 and t.customer_id = f.customer_id
       and ((${VALUE_COLUMNS.map((c) => `t.${c}`).join(", ")}) is distinct from (${VALUE_COLUMNS.map((c) => `f.${c}`).join(", ")})
            or coalesce(t.segments, '{}') is distinct from ${segs})
    returning t.customer_id, coalesce(old.segments, '{}') as old_segs, new.segments as new_segs, new as fr),
  added as (
    insert into customer_features (shop_id, customer_id, as_of, as_of_day, ${VALUE_COLUMNS.join(", ")}, segments, updated_at)
    select f.shop_id, f.customer_id, $3, f.as_of_day, ${VALUE_COLUMNS.map((c) => `f.${c}`).join(", ")}, ${segs}, now()
      from cur f left join segment_shop_stats s on s.shop_id = $1
     where not f.has_features
    returning customer_id, '{}'::text[] as old_segs, segments as new_segs, new as fr),
  upd as (select * from written union all select * from added),${changes}`;
  }
  // One pass: the UPDATE computes each row's segments, writes only rows whose array changed and
  // returns the old and new arrays with the row (for the why), so nothing joins back to the table.
  return `
  with upd as (
    update customer_features f set segments = ${segs}
      from (select 1) one left join segment_shop_stats s on s.shop_id = $1
     where f.shop_id = $1 and ($2::bigint[] is null or f.customer_id = any($2::bigint[])) ${filter}
       and coalesce(f.segments, '{}') is distinct from ${segs}
    returning f.customer_id, coalesce(old.segments, '{}') as old_segs, new.segments as new_segs, new as fr),${changes}`;
}

const RFM_WHY = `jsonb_build_object('r_score', f.r_score, 'f_score', f.f_score, 'm_score', f.m_score, 'rfm_group', f.rfm_group,
  'days_since_last_order', ${FEATURES.days_since_last_order.sql}, 'orders_count', f.orders_count, 'spend_lifetime', f.spend_lifetime,
  'r_cuts', s.r_cuts, 'f_cuts', s.f_cuts, 'm_cuts', s.m_cuts)`;

/**
 * The evaluation statement depends only on the shop's segment settings: compiled once per distinct
 * settings (text and the values it binds after the fixed parameters), not per event.
 */
const compiled = new Map<string, { text: string; extra: unknown[] }>();
const MAX_COMPILED = 500;

function evaluateStatement(ctx: ShopContext, only?: ReadonlySet<string>, withFeatures = false): { text: string; extra: unknown[] } {
  const key = JSON.stringify([ctx.segments, only ? [...only].sort() : null, withFeatures]);
  let hit = compiled.get(key);
  if (!hit) {
    const fixedCount = 6 + WINDOWS.length;
    const params = new Params(new Array(fixedCount).fill(null));
    const text = evaluateSql(ctx, params, only, withFeatures);
    hit = { text, extra: params.values.slice(fixedCount) };
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, hit);
  }
  return hit;
}

async function evaluate(
  db: Client,
  shopId: number,
  ids: bigint[] | null,
  now: Date,
  ctx: ShopContext,
  source: Source,
  options: { departed?: boolean; only?: ReadonlySet<string>; withFeatures?: boolean } = {},
) {
  const fixed = FIXED(shopId, ids, now, ctx, source);
  const prepare = ids !== null;
  const gone = options.departed === false ? 0 : (await run<{ changes: number }>(db, departedSql(), fixed, { prepare })).rows[0].changes;
  if (options.only?.size === 0) return gone;
  const { text, extra } = evaluateStatement(ctx, options.only, options.withFeatures);
  const res = await run<{ changes: number }>(db, text, [...fixed, ...extra], { prepare });
  return gone + res.rows[0].changes;
}

/**
 * What each segment's membership depends on besides the features: enabled, and its rule with the
 * shop's settings resolved (a catalogue rule carries every setting it reads, e.g. churn-quick has
 * lost's days). Stored with the shop statistics after every full run and re-evaluation, so a
 * re-evaluation knows which segments a settings change can move.
 */
function segmentSignatures(ctx: ShopContext): Record<string, string> {
  return Object.fromEntries(ctx.segments.map((s) => [s.key, s.enabled ? JSON.stringify(ruleOf(s, ctx.segments)) : "disabled"]));
}

/** The settings each percentile statistic is derived from (refreshPercentiles). */
const PERCENTILE_SETTINGS: [string, string][] = [
  ["vip", "topSpendShare"],
  ["new-high-potential", "topSpendShare"],
  ["new-high-potential", "newWithinDays"],
  ["big-first-order", "percentile"],
];
const percentileInputs = (ctx: ShopContext) => JSON.stringify(PERCENTILE_SETTINGS.map(([key, name]) => setting(ctx, key, name)));

interface Evaluated {
  segments: Record<string, string>;
  percentiles: string;
}

const evaluatedOf = (ctx: ShopContext): Evaluated => ({ segments: segmentSignatures(ctx), percentiles: percentileInputs(ctx) });

/**
 * The segments a re-evaluation must evaluate: those whose signature changed since the last
 * evaluation, those whose rule compares against a refreshed percentile, and custom segments that
 * reference any of them. Null: everything (nothing recorded).
 */
function affectedSegments(ctx: ShopContext, before: Evaluated | null, refreshed: boolean): Set<string> | null {
  if (!before) return null;
  const now = segmentSignatures(ctx);
  const affected = new Set<string>([...Object.keys(before.segments), ...Object.keys(now)].filter((k) => before.segments[k] !== now[k]));
  const inputs = new Map(ctx.segments.map((s) => [s.key, ruleInputs(ruleOf(s, ctx.segments))]));
  if (refreshed) {
    for (const [key, used] of inputs) if ([...used.stats].some((st) => st !== "shop_aov")) affected.add(key);
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [key, used] of inputs) {
      if (!affected.has(key) && [...used.segments].some((k) => affected.has(k))) {
        affected.add(key);
        grew = true;
      }
    }
  }
  return affected;
}

/** `percentiles`: the inputs the stored cuts were derived from, when this run did not refresh them. */
async function recordEvaluated(db: Client, shopId: number, ctx: ShopContext, percentiles?: string) {
  const evaluated = { ...evaluatedOf(ctx), ...(percentiles === undefined ? {} : { percentiles }) };
  await db.query("update segment_shop_stats set evaluated = $2 where shop_id = $1", [shopId, JSON.stringify(evaluated)]);
}

// ---------------------------------------------------------------------------------------------
// Shop statistics

function setting(ctx: ShopContext, key: string, name: string): number {
  return ctx.segments.find((s) => s.key === key)!.settings[name];
}

/** Percentile thresholds from a feature relation (seg_nf in the full path, customer_features on re-evaluation). */
async function refreshPercentiles(db: Client, shopId: number, relation: string, ctx: ShopContext, now: Date) {
  await run(
    db,
    `insert into segment_shop_stats (shop_id, computed_at, as_of_day, customers, vip_spend_cut, new_spend_cut, first_order_items_cut)
     select $1, $2, $3::date, count(*)::int,
            percentile_disc(1 - $4::float8) within group (order by spend_365d) filter (where orders_365d >= 1),
            percentile_disc(1 - $5::float8) within group (order by spend_lifetime) filter (where orders_count >= 1 and $3::date - first_order_day <= $6::int),
            percentile_disc($7::float8) within group (order by first_order_items) filter (where orders_count >= 1)
       from ${relation} where shop_id = $1
     on conflict (shop_id) do update set computed_at = excluded.computed_at, as_of_day = excluded.as_of_day, customers = excluded.customers,
       vip_spend_cut = excluded.vip_spend_cut, new_spend_cut = excluded.new_spend_cut, first_order_items_cut = excluded.first_order_items_cut`,
    [
      shopId,
      now,
      ctx.today,
      setting(ctx, "vip", "topSpendShare"),
      setting(ctx, "new-high-potential", "topSpendShare"),
      setting(ctx, "new-high-potential", "newWithinDays"),
      setting(ctx, "big-first-order", "percentile"),
    ],
  );
}

/**
 * Shop AOV (all valid orders, guests included) and RFM cut points: the first value of NTILE(5)'s
 * tiles 2..5 over customers with orders, ordered by value then customer_id. The tie-breaker decides
 * which customer lands in which tile, never the value at a tile's first position, so each cut is the
 * order statistic at that position: one percentile_disc sort per score instead of three window sorts.
 */
async function refreshAovAndRfm(db: Client, shopId: number) {
  const { rows } = await run<{ n: number }>(db, "select count(*)::int as n from seg_nf where shop_id = $1 and orders_count >= 1", [shopId]);
  const n = rows[0].n;
  // NTILE(5) over n rows: the first (n % 5) tiles hold one row more; tile t starts at this position.
  const starts = [2, 3, 4, 5].filter((t) => t <= n).map((t) => (t - 1) * Math.floor(n / 5) + Math.min(t - 1, n % 5) + 1);
  // percentile_disc(f) is the value at position ceil(f * n): the tile starts, and the rows just before them.
  const fractions = starts.map((p) => (p - 0.5) / n);
  const before = starts.map((p) => (p - 1.5) / n);
  // F and M: a value shared across a tile boundary stays in the lower tile (the cut is the next
  // larger value). Otherwise, where over a fifth of the buyers ordered once (most shops), no one
  // would score F = 1 and the New, Promising and Lost groups would stay empty.
  // (No larger value: the column type's largest, a tier no one reaches; arrays hold no nulls.)
  const nextAbove = (column: string, prev: string, empty: string, none: string) =>
    starts.length
      ? `array[${starts.map((_, i) => `coalesce(min(n.${column}) filter (where n.${column} > p.${prev}[${i + 1}]), ${none})`).join(", ")}]`
      : `'{}'::${empty}`;
  await run(
    db,
    `with prev as (
       select percentile_disc($3::float8[]) within group (order by orders_count) as pf,
              percentile_disc($3::float8[]) within group (order by spend_lifetime) as pm
         from seg_nf where shop_id = $1 and orders_count >= 1),
     cuts as (
       select ${nextAbove("orders_count", "pf", "int[]", "2147483647")} as f,
              ${nextAbove("spend_lifetime", "pm", "numeric[]", "99999999999999.9999")} as m
         from seg_nf n cross join prev p where n.shop_id = $1 and n.orders_count >= 1)
     update segment_shop_stats set
       shop_aov = (select round(sum(spend_lifetime) / nullif(sum(orders_count), 0), 4) from seg_agg),
       r_cuts = coalesce((select percentile_disc($2::float8[]) within group (order by as_of_day - last_order_day desc) from seg_nf where shop_id = $1 and orders_count >= 1), '{}'),
       f_cuts = coalesce((select f from cuts), '{}'),
       m_cuts = coalesce((select m from cuts), '{}')
     where shop_id = $1`,
    [shopId, fractions, before],
  );
}

async function refreshDailySizes(db: Client, shopId: number, today: string) {
  await run(
    db,
    `with cur as (
       select k.key, count(*)::int as size, coalesce(sum(f.spend_day), 0) as revenue
         from customer_features f cross join unnest(f.segments) k(key) where f.shop_id = $1 group by k.key),
     zero as (update segment_daily_stats d set size = 0, revenue = 0
               where d.shop_id = $1 and d.day = $2::date and not exists (select 1 from cur where cur.key = d.segment_key))
     insert into segment_daily_stats (shop_id, segment_key, day, size, revenue)
     select $1, key, $2::date, size, revenue from cur
     on conflict (shop_id, segment_key, day) do update set size = excluded.size, revenue = excluded.revenue`,
    [shopId, today],
  );
}

/**
 * After a re-evaluation: sizes already follow every logged change (the evaluation counts them into
 * today's row), so only today's revenue of members is refreshed, from the customers with spend that
 * day (a few), not by unnesting every customer's segments.
 */
async function refreshDailyRevenue(db: Client, shopId: number, today: string) {
  await run(
    db,
    `with cur as (
       select k.key, sum(f.spend_day) as revenue
         from customer_features f cross join unnest(f.segments) k(key) where f.shop_id = $1 and f.spend_day <> 0 group by k.key),
     zero as (update segment_daily_stats d set revenue = 0
               where d.shop_id = $1 and d.day = $2::date and d.revenue <> 0 and not exists (select 1 from cur where cur.key = d.segment_key))
     insert into segment_daily_stats (shop_id, segment_key, day, size, revenue)
     select $1, cur.key, $2::date,
            coalesce((select p.size from segment_daily_stats p where p.shop_id = $1 and p.segment_key = cur.key and p.day <= $2::date order by p.day desc limit 1), 0),
            cur.revenue
       from cur
     on conflict (shop_id, segment_key, day) do update set revenue = excluded.revenue`,
    [shopId, today],
  );
}

const lockShop = (db: Client, shopId: number, shared: boolean) =>
  db.query(`select ${shared ? "pg_advisory_xact_lock_shared" : "pg_advisory_xact_lock"}(hashtextextended('segsync:engine:' || $1::text, 0))`, [shopId]);

// ---------------------------------------------------------------------------------------------
// Public paths

/**
 * The incremental path's first statement: the shop lock (shared), the customers' locks in id order,
 * the shop context, and whether any of them is no longer a live customer. Its statements run on
 * their generic plans (prepared per connection; custom plans re-planned the big statements on every
 * event).
 */
const INCREMENTAL_START = `
  select set_config('synchronous_commit', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true),
         pg_advisory_xact_lock_shared(hashtextextended('segsync:engine:' || $1::text, 0)),
         (select count(pg_advisory_xact_lock(hashtextextended('segsync:customer:' || $1::text || ':' || id::text, 0))) from (select id from unnest($2::bigint[]) id order by id) x),
         ctx.*,
         exists (select 1 from unnest($2::bigint[]) u(id)
                  where not exists (select 1 from customers c where c.shop_id = $1 and c.id = u.id and c.deleted_at is null)) as departed
    from (${CONTEXT_SELECT.replace(/\$2/g, () => "$4").replace(/\$3/g, () => "$5")}) ctx`;

/**
 * Incremental path: after sync applied events touching these customers, recompute their roll-ups,
 * features and memberships in one transaction (reading the shop statistics of the last full run).
 * Idempotent; deleted customers leave every segment, opted-out ones are in none.
 */
export async function recomputeCustomers(shopId: number, customerIds: bigint[], options: { now?: Date } = {}): Promise<{ changes: number }> {
  const ids = [...new Set(customerIds.map((id) => BigInt(id)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length === 0) return { changes: 0 };
  const now = options.now ?? new Date();
  return inTransaction(async (db) => {
    // One round trip: the shop lock (shared), the customers' locks in id order, the shop context,
    // and whether any of them is no longer a live customer (then its feature row must go).
    // The commit does not wait for its WAL flush: the caller's job commits after it (which flushes
    // this too), and a crash before that reruns the job, whose recompute is idempotent.
    const { rows } = await run<ContextRow & { departed: boolean }>(
      db,
      INCREMENTAL_START,
      [shopId, ids.map(String), null, now, WINDOWS],
      { prepare: true },
    );
    const ctx = contextOf(shopId, rows[0]);
    return { changes: await evaluate(db, shopId, ids, now, ctx, "incremental", { departed: rows[0].departed, withFeatures: true }) };
  });
}

export interface RecomputeShopOptions {
  now?: Date;
  /** Rebuild the category roll-ups from line items (after a backfill or on repair); default: when never built. */
  rebuildRollups?: boolean;
  /** Keep the stored shop statistics instead of refreshing them (repairs, and the paths-agree test). */
  keepStatistics?: boolean;
}

/**
 * Full path: refresh the shop statistics and every customer's features and memberships with
 * set-based SQL, appending the membership diff to the change log.
 */
export async function recomputeShop(shopId: number, options: RecomputeShopOptions = {}): Promise<{ customers: number; changes: number; seconds: number }> {
  const started = performance.now();
  const now = options.now ?? new Date();
  return inTransaction(async (db) => {
    await lockShop(db, shopId, false);
    await db.query("set local work_mem = '256MB'");
    const ctx = await loadContext(db, shopId, now);
    const fixed = FIXED(shopId, null, now, ctx, "full");
    const built = await db.query<{ rollups_built: boolean; evaluated: Evaluated | null }>(
      "select rollups_built, evaluated from segment_shop_stats where shop_id = $1",
      [shopId],
    );
    const rebuild = options.rebuildRollups ?? !built.rows[0]?.rollups_built;
    if (rebuild) {
      await run(db, `create temp table seg_li on commit drop as ${LINE_ITEMS_SELECT}`, fixed);
      await run(db, `create temp table seg_cat on commit drop as ${CATEGORY_SELECT}`, fixed);
      await db.query("drop table seg_li");
    }
    // 10 M orders into 1 M groups, streamed in customer order from the covering index
    // orders_customer_totals_idx (index-only: no heap, no hash table). The planner underestimates
    // the groups (n_distinct of customer_id) and would pick a parallel seq scan into a hash
    // aggregate: twice as slow at 1 M customers.
    await db.query("set local enable_hashagg = off");
    await run(db, `create temp table seg_agg on commit drop as ${AGG_SELECT}`, fixed);
    await db.query("set local enable_hashagg = on");
    await run(db, `create temp table seg_nf on commit drop as ${rebuild ? "" : `with seg_cat as (${STORED_CATEGORIES})`} ${FEATURE_SELECT}`, fixed);
    await run(db, "analyze seg_nf", []);
    const refreshed = !options.keepStatistics || !built.rows[0];
    if (refreshed) {
      await refreshPercentiles(db, shopId, "seg_nf", ctx, now);
      await refreshAovAndRfm(db, shopId);
    }
    await db.query("update segment_shop_stats set rollups_built = true where shop_id = $1", [shopId]);
    // Every live customer's stored feature row was found (has_features) before the write: when they
    // are all the shop's feature rows, no customer departed and the departed pass (an anti-join of
    // the whole table) is skipped.
    const { rows } = await run<{ n: number; kept: number; stored: number }>(
      db,
      `select (select count(*) from seg_nf)::int as n, (select count(*) from seg_nf where has_features)::int as kept,
              (select count(*) from customer_features where shop_id = $1)::int as stored`,
      [shopId],
    );
    // Streamed only when the stored feature rows were joined (has_features known): after a rebuild,
    // every row would otherwise be computed twice.
    await run(db, `with ${writeFeatures(!rebuild)}`, fixed);
    const changes = await evaluate(db, shopId, null, now, ctx, "full", { departed: rows[0].stored > rows[0].kept });
    await recordEvaluated(db, shopId, ctx, refreshed ? undefined : (built.rows[0].evaluated?.percentiles ?? "unknown"));
    await refreshDailySizes(db, shopId, ctx.today);
    return { customers: rows[0].n, changes, seconds: (performance.now() - started) / 1000 };
  });
}

/**
 * Re-evaluates every membership from the stored feature table after a settings change (percentile
 * thresholds that depend on settings are re-derived from the features): no rescan of orders.
 */
export async function reevaluateShop(shopId: number, options: { now?: Date } = {}): Promise<{ changes: number; seconds: number }> {
  const started = performance.now();
  const now = options.now ?? new Date();
  return inTransaction(async (db) => {
    await lockShop(db, shopId, false);
    const ctx = await loadContext(db, shopId, now);
    const has = await db.query<{ evaluated: Evaluated | null }>("select evaluated from segment_shop_stats where shop_id = $1", [shopId]);
    const before = has.rows[0]?.evaluated ?? null;
    // Percentile cuts are re-derived when a setting they depend on changed (or nothing is recorded).
    const refresh = Boolean(has.rowCount) && (!before || before.percentiles !== percentileInputs(ctx));
    if (refresh) await refreshPercentiles(db, shopId, "customer_features", ctx, now);
    // Only the segments the change can move; the others' memberships already follow their rules
    // (the incremental path on every event, the full path nightly).
    const only = affectedSegments(ctx, before, refresh) ?? undefined;
    // Departed customers leave on their own event (incremental) and in the full path: settings
    // changes re-evaluate the live feature rows only.
    const changes = await evaluate(db, shopId, null, now, ctx, "reevaluate", { departed: false, only });
    if (has.rowCount) await recordEvaluated(db, shopId, ctx);
    await refreshDailyRevenue(db, shopId, ctx.today);
    return { changes, seconds: (performance.now() - started) / 1000 };
  });
}

// ---------------------------------------------------------------------------------------------
// Why

export interface ExplainNode {
  op: string;
  pass: boolean;
  feature?: string;
  cmp?: string;
  /** The customer's value. */
  value?: unknown;
  /** What it is compared against (a setting, or a shop statistic times a factor). */
  threshold?: unknown;
  stat?: string;
  segment?: string;
  reason?: string;
  children?: ExplainNode[];
}

export interface Explanation {
  segmentKey: string;
  name: string;
  enabled: boolean;
  /** Stored membership (what the change log last said). */
  member: boolean;
  /** What the rule says from the stored features right now. */
  matches: boolean;
  optedOut: boolean;
  found: boolean;
  asOfDay: string | null;
  rule: ExplainNode;
}

/** For a customer and a segment: the feature values against the thresholds that put them in or out. */
export async function explainMembership(shopId: number, customerId: bigint, segmentKey: string, options: { now?: Date } = {}): Promise<Explanation> {
  const now = options.now ?? new Date();
  const db = await enginePool().connect();
  try {
    const segments = await listSegments(shopId, db);
    const seg = segments.find((s) => s.key === segmentKey);
    if (!seg) throw new Error(`Unknown segment "${segmentKey}".`);
    const rule = ruleOf(seg, segments);
    const { rows: t } = await db.query<{ today: string }>("select (($2::timestamptz) at time zone timezone)::date::text as today from shops where id = $1", [shopId, now]);
    const params = new Params([shopId, String(customerId), now, t[0]?.today ?? null]);
    const cols: string[] = [];
    const build = (r: CatalogueRule | Rule): ((row: Record<string, unknown>) => ExplainNode) => {
      if (r.op === "and" || r.op === "or") {
        const kids = r.rules.map(build);
        return (row) => {
          const children = kids.map((k) => k(row));
          return { op: r.op, children, pass: r.op === "and" ? children.every((c) => c.pass) : children.some((c) => c.pass) };
        };
      }
      if (r.op === "not") {
        const kid = build(r.rule);
        return (row) => {
          const child = kid(row);
          return { op: "not", children: [child], pass: !child.pass };
        };
      }
      if (r.op === "never") return () => ({ op: "never", pass: false, reason: r.reason });
      const i = cols.length;
      if (r.op === "segment") {
        cols.push(`(coalesce(f.segments, '{}') @> array[${params.add(r.segment)}::text]) as p${i}`);
        return (row) => ({ op: "segment", segment: r.segment, pass: row[`p${i}`] === true });
      }
      const leaf = r as Extract<CatalogueRule, { op: "cmp" | "stat" }>;
      const pass = compileRule(leaf, { params });
      const threshold =
        leaf.op === "stat" ? `(${STATS[leaf.stat]}${leaf.factor === undefined ? "" : ` * ${params.add(String(leaf.factor))}::numeric`})::text` : "null";
      cols.push(`(${FEATURES[leaf.feature].sql})::text as v${i}, ${threshold} as t${i}, ${pass} as p${i}`);
      return (row) => ({
        op: leaf.op,
        feature: leaf.feature,
        cmp: leaf.cmp,
        value: row[`v${i}`],
        threshold: leaf.op === "stat" ? row[`t${i}`] : leaf.value,
        ...(leaf.op === "stat" ? { stat: leaf.stat } : {}),
        pass: row[`p${i}`] === true,
      });
    };
    const render = build(rule);
    const { rows } = await run<Record<string, unknown>>(
      db,
      `select f.opted_out, f.as_of_day::text as as_of_day, coalesce(f.segments, '{}') @> array[${params.add(segmentKey)}::text] as member
              ${cols.length ? `, ${cols.join(", ")}` : ""}
         from customer_features f left join segment_shop_stats s on s.shop_id = f.shop_id
        where f.shop_id = $1 and f.customer_id = $2::bigint`,
      params.values,
    );
    const row = rows[0] ?? {};
    const tree = render(row);
    return {
      segmentKey,
      name: seg.name,
      enabled: seg.enabled,
      member: row.member === true,
      matches: rows[0] ? tree.pass && row.opted_out !== true : false,
      optedOut: row.opted_out === true,
      found: Boolean(rows[0]),
      asOfDay: (row.as_of_day as string | undefined) ?? null,
      rule: tree,
    };
  } finally {
    db.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Custom segment preview

/** How many customers (not opted out) a custom rule would hold now, from the stored features. */
export async function countRuleMatches(shopId: number, rule: Rule, now = new Date()): Promise<number> {
  const { rows: t } = await enginePool().query<{ today: string }>("select (($2::timestamptz) at time zone timezone)::date::text as today from shops where id = $1", [shopId, now]);
  const params = new Params([shopId, null, now, t[0]?.today ?? null]);
  const cond = compileRule(rule, { params, segmentSql: (key, p) => `(coalesce(f.segments, '{}') @> array[${p.add(key)}::text])` });
  const { rows } = await run<{ n: number }>(
    enginePool(),
    `select count(*)::int as n from customer_features f left join segment_shop_stats s on s.shop_id = f.shop_id
      where f.shop_id = $1 and not f.opted_out and ${cond}`,
    params.values,
  );
  return rows[0].n;
}

// ---------------------------------------------------------------------------------------------
// History

export interface DailyPoint {
  day: string;
  size: number;
  entries: number;
  exits: number;
  revenue: string;
}

/** Size, entries, exits and members' revenue per shop-local day, the last `days` days (sizes carried forward). */
export async function segmentHistory(shopId: number, segmentKey: string, days: number, options: { now?: Date } = {}): Promise<DailyPoint[]> {
  const now = options.now ?? new Date();
  const { rows } = await enginePool().query<DailyPoint>(
    `with t as (select (($2::timestamptz) at time zone timezone)::date as today from shops where id = $1),
          series as (select (t.today - g)::date as day from t, generate_series(0, $4::int - 1) g)
     select series.day::text as day,
            coalesce(d.size, (select p.size from segment_daily_stats p where p.shop_id = $1 and p.segment_key = $3 and p.day < series.day order by p.day desc limit 1), 0)::int as size,
            coalesce(d.entries, 0)::int as entries, coalesce(d.exits, 0)::int as exits, coalesce(d.revenue, 0)::text as revenue
       from series left join segment_daily_stats d on d.shop_id = $1 and d.segment_key = $3 and d.day = series.day
      order by series.day`,
    [shopId, now, segmentKey, Math.max(1, Math.min(3660, Math.floor(days)))],
  );
  return rows;
}

export interface RfmMigration {
  groups: string[];
  /** matrix[from][to] = customers; "none" = no RFM group (no orders yet, opted out, or deleted). */
  matrix: Record<string, Record<string, number>>;
}

/** How customers moved between RFM groups from one instant to another, read from the change log. */
export async function rfmMigration(shopId: number, from: Date, to: Date): Promise<RfmMigration> {
  const { rows } = await enginePool().query<{ a: string; b: string; n: number }>(
    `with state as (
       select t.which, c.customer_id, c.segment_key, c.change
         from (values ('a', $2::timestamptz), ('b', $3::timestamptz)) t(which, at)
         cross join lateral (
           select distinct on (customer_id, segment_key) customer_id, segment_key, change
             from membership_changes m
            where m.shop_id = $1 and m.segment_key = any($4::text[]) and m.at <= t.at
            order by customer_id, segment_key, id desc) c),
     a as (select customer_id, min(segment_key) as g from state where which = 'a' and change = 'entered' group by customer_id),
     b as (select customer_id, min(segment_key) as g from state where which = 'b' and change = 'entered' group by customer_id)
     select coalesce(a.g, 'none') as a, coalesce(b.g, 'none') as b, count(*)::int as n
       from a full join b on a.customer_id = b.customer_id group by 1, 2`,
    [shopId, from, to, RFM_GROUPS.map((g) => rfmSegmentKey(g.key))],
  );
  const groups = [...RFM_GROUPS.map((g) => g.key), "none"];
  const matrix: Record<string, Record<string, number>> = {};
  for (const a of groups) matrix[a] = Object.fromEntries(groups.map((b) => [b, 0]));
  for (const r of rows) {
    const a = r.a === "none" ? "none" : r.a.slice(4);
    const b = r.b === "none" ? "none" : r.b.slice(4);
    matrix[a][b] += r.n;
  }
  return { groups, matrix };
}

export { CATALOGUE };
