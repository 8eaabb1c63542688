// The segment page's members in spend order: the walk of the spend index and the join it falls back
// to page alike, forward and back, ties broken by customer id, whatever the walk's cap; in the
// other feature orders, the join pages alike whether it probes or hashes the feature table.
import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { seedShop } from "../../test/helpers/admin-seed";
import { listMembers, type MemberQuery } from "./members.server";

// 16 lost customers (last order 200+ days ago) interleaved in spend with 12 recent ones; some
// lost customers share a spend.
const LOST = [10, 20, 20, 35, 50, 50, 50, 70, 90, 120, 150, 150, 200, 260, 300, 410].map((spend) => ({ ages: [210], spend: `${spend}.00` }));
const RECENT = [5, 15, 25, 45, 55, 65, 95, 130, 180, 250, 350, 500].map((spend) => ({ ages: [3], spend: `${spend}.00` }));

async function pageThrough(shopId: number, query: MemberQuery) {
  const seen: string[] = [];
  let page = await listMembers(shopId, "lost", query);
  seen.push(...page.rows.map((r) => r.customerId));
  const pages = [page];
  while (page.next) {
    page = await listMembers(shopId, "lost", { ...query, after: page.next });
    seen.push(...page.rows.map((r) => r.customerId));
    pages.push(page);
  }
  // And back from the last page, one page at a time.
  const back: string[][] = [];
  let at = page;
  while (at.previous) {
    at = await listMembers(shopId, "lost", { ...query, before: at.previous });
    back.push(at.rows.map((r) => r.customerId));
  }
  return { seen, pages, back };
}

describe("segment members sorted by a feature", () => {
  it("pages every member once in spend order, then back, by the index walk and by the join alike", async () => {
    // GIVEN a shop whose lost customers are spread through the spend order among recent ones
    const shop = await seedShop("spend-order.myshopify.com", [...RECENT, ...LOST]);
    const expected = async (dir: "asc" | "desc") =>
      (
        await prisma.$queryRawUnsafe<{ id: bigint }[]>(
          `select m.customer_id as id from memberships m join customer_features f using (shop_id, customer_id)
            where m.shop_id = $1 and m.segment_key = 'lost' order by f.spend_lifetime ${dir}, m.customer_id ${dir}`,
          shop.id,
        )
      ).map((r) => String(r.id));
    expect((await expected("desc")).length).toBe(LOST.length);

    for (const direction of ["desc", "asc"] as const) {
      const want = await expected(direction);
      // WHEN the members are paged 3 at a time with a cap that always finds a page, one that
      // sometimes does (the join takes over) and one that never does
      for (const walkCap of [1000, 5, 1]) {
        const { seen, pages, back } = await pageThrough(shop.id, { sort: "spend", direction, limit: 3, walkCap });
        // THEN every member once, in spend order with ties by customer id, the total on each page
        expect(seen, `${direction}, cap ${walkCap}`).toEqual(want);
        expect(pages.every((p) => p.total === LOST.length)).toBe(true);
        expect(pages.at(-1)!.rows.length).toBe(LOST.length % 3 || 3);
        // AND paging back returns the earlier pages, down to the first
        expect(back.at(-1)).toEqual(want.slice(0, 3));
        expect(back.flat().length).toBe(LOST.length - pages.at(-1)!.rows.length);
      }
    }
  });

  it("pages every member once in each feature order, whether the join probes or hashes the feature table", async () => {
    // GIVEN the same shop shape: lost customers with different spends, orders and last orders
    const shop = await seedShop("feature-order.myshopify.com", [...RECENT, ...LOST]);
    const columns = { orders: "f.orders_count::numeric", aov: "coalesce(f.aov, 0)", lastOrder: "f.last_order_at" } as const;
    for (const [sort, column] of Object.entries(columns)) {
      for (const direction of ["desc", "asc"] as const) {
        const want = (
          await prisma.$queryRawUnsafe<{ id: bigint }[]>(
            `select m.customer_id as id from memberships m join customer_features f using (shop_id, customer_id)
              where m.shop_id = $1 and m.segment_key = 'lost' order by ${column} ${direction}, m.customer_id ${direction}`,
            shop.id,
          )
        ).map((r) => String(r.id));
        // WHEN the members are paged 3 at a time, the join probing (small segment) or hashing
        for (const hashJoinFrom of [Infinity, 0]) {
          const { seen, back } = await pageThrough(shop.id, { sort, direction, limit: 3, hashJoinFrom });
          // THEN every member once, in that order with ties by customer id, and back to the start
          expect(seen, `${sort} ${direction}, hash from ${hashJoinFrom}`).toEqual(want);
          expect(back.at(-1)).toEqual(want.slice(0, 3));
        }
      }
    }
  });

  it("an empty segment has an empty first page", async () => {
    // GIVEN a shop with no lost customer
    const shop = await seedShop("spend-empty.myshopify.com", RECENT);
    // WHEN its lost members are listed by spend, with the walk capped below the shop's size
    const page = await listMembers(shop.id, "lost", { sort: "spend", walkCap: 4 });
    // THEN nothing, and no cursors
    expect(page).toMatchObject({ rows: [], total: 0, next: null, previous: null });
  });
});
