// Property-based fuzzing of the pixel ingest route (app/routes/pixel.events.tsx, called in-process):
// well-formed batches with hostile fields, any JSON, any text, oversized bodies, other shops'
// tokens. Each answer is 202 with counts, or a 4xx with a readable error; never a crash; a refused
// batch stores nothing (the rows stored equal the sum of the 202 answers' `stored`).
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { action } from "../../app/routes/pixel.events";
import { createShop } from "../factories";
import { forgetShops, pixelToken, resetRateLimits } from "../../app/browsing/ingest.server";
import { forgetPartitions } from "../../app/browsing/partitions.server";
import { closeBrowsingPool } from "../../app/browsing/pool.server";
import { PIXEL_EVENT_NAMES } from "../../app/browsing/wire";
import { hostileValue, pathsOf, setPath, toJsonText, hostileText } from "./arbitraries";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });

afterAll(async () => {
  await db.end();
  await closeBrowsingPool();
});
beforeEach(() => {
  forgetShops();
  forgetPartitions();
});

async function post(body: string): Promise<Response> {
  const request = new Request("https://segment-sync.test/pixel/events", { method: "POST", body, headers: { "Content-Type": "text/plain" } });
  return action({ request, params: {}, context: {} });
}

describe("pixel ingest under hostile input", () => {
  it(`${RUNS} hostile batches: 202 with counts or a 4xx with a reason; refused batches store nothing`, async () => {
    // GIVEN an installed shop, an uninstalled one, and a rate limit that refills between requests
    const shop = await createShop({ domain: "fuzz-pixel.myshopify.com" });
    const gone = await createShop({ domain: "fuzz-pixel-gone.myshopify.com" });
    await db.query("update shops set install_state = 'uninstalled' where id = $1", [gone.id]);
    let clock = Date.now();
    resetRateLimits(() => (clock += 3_600_000));
    const now = Date.now();
    const event = fc.record({
      id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/),
      name: fc.constantFrom(...PIXEL_EVENT_NAMES),
      at: fc.integer({ min: now - 4 * 86_400_000, max: now + 3_600_000 }),
      customerId: fc.option(fc.bigInt({ min: 1n, max: 2n ** 40n }).map(String), { nil: undefined }),
      productId: fc.option(fc.bigInt({ min: 1n, max: 2n ** 40n }).map(String), { nil: undefined }),
    });
    const wellFormed = fc.record({
      v: fc.constant(1),
      shop: fc.constantFrom(shop.domain, shop.domain, shop.domain, gone.domain, "nobody.myshopify.com"),
      token: fc.constantFrom(pixelToken(shop.domain), pixelToken(shop.domain), pixelToken(gone.domain), "", "x".repeat(32)),
      clientId: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
      events: fc.array(event, { minLength: 1, maxLength: 8 }),
    });
    const sample = { v: 1, shop: shop.domain, token: "t", clientId: "c", events: [{ id: "e", name: "page_viewed", at: now, customerId: "1", productId: "2", variantId: "3", rec: true, checkout: "k", products: ["4"] }] };
    const paths = pathsOf(sample, 4);
    const mutated = fc.tuple(wellFormed, fc.array(fc.tuple(fc.constantFrom(...paths), hostileValue), { minLength: 1, maxLength: 3 })).map(([b, ms]) =>
      toJsonText(ms.reduce<unknown>((tree, [p, v]) => setPath(tree, p, v), b)),
    );
    const body = fc.oneof(
      { weight: 4, arbitrary: wellFormed.map((b) => JSON.stringify(b)) },
      { weight: 6, arbitrary: mutated },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "") },
      { weight: 1, arbitrary: fc.oneof(hostileText, fc.string({ unit: "binary", maxLength: 200 })) },
      { weight: 1, arbitrary: fc.tuple(wellFormed, fc.integer({ min: 60_000, max: 200_000 })).map(([b, n]) => JSON.stringify({ ...b, pad: "é".repeat(n / 2) })) },
    );
    let storedTotal = 0;
    const statuses = new Map<number, number>();

    // WHEN each body is posted to the route
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const response = await post(text);
        const answer = (await response.json()) as { accepted?: number; stored?: number; dropped?: number; error?: string };
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        // THEN 202 with counts, or a 4xx with a readable error
        expect([202, 400, 401, 404, 413, 429]).toContain(response.status);
        if (response.status === 202) {
          expect(answer.stored! >= 0 && answer.stored! <= answer.accepted!).toBe(true);
          storedTotal += answer.stored!;
        } else {
          expect(typeof answer.error === "string" && answer.error.length > 0 && answer.error.length < 500).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );

    // THEN the rows stored are exactly what the 202 answers counted (nothing from a refused batch)
    const rows = await db.query<{ n: number; other: number }>("select count(*)::int as n, count(*) filter (where shop_id <> $1)::int as other from pixel_events", [shop.id]);
    expect(rows.rows[0]).toEqual({ n: storedTotal, other: 0 });
    expect(storedTotal).toBeGreaterThan(0);
    for (const status of [202, 400, 401, 404, 413]) expect(statuses.get(status) ?? 0, `answers with ${status}`).toBeGreaterThan(0);
  }, 120_000);
});
