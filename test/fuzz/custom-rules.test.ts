// Property-based fuzzing of the custom segment builder's action (app/routes/app.segments.new.tsx),
// called in-process as Remix calls it with a real session token: arbitrary rule JSON, hostile keys,
// names and values. Each answer is a preview count, a saved segment (the rule stored as data, the
// shop re-evaluated) or validation errors the merchant can read; never a crash, never SQL from a
// value, nothing stored on rejection, and the other shop untouched.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import prisma from "../../app/db.server";
import { adminPost, callRoute } from "../helpers/admin-request";
import { seedShop } from "../helpers/admin-seed";
import * as builderRoute from "../../app/routes/app.segments.new";
import { FEATURES } from "../../app/segments/features";
import { CATALOGUE_KEYS, RFM_SEGMENT_KEYS } from "../../app/segments/catalogue";
import { closeEnginePool } from "../../app/segments/index.server";
import { hostileText, rawNumber } from "./arbitraries";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const A = "fuzz-rules-a.myshopify.com";
const B = "fuzz-rules-b.myshopify.com";

afterAll(async () => {
  await closeEnginePool();
});

const featureNames = Object.keys(FEATURES);
const number = fc.oneof(fc.integer(), fc.double(), rawNumber.map((r) => Number(r.text)), fc.constantFrom(1e308, -1e308, 2 ** 63, -0, Number.MAX_SAFE_INTEGER + 2));
const anyValue = fc.oneof(number, hostileText, fc.array(hostileText, { maxLength: 5 }), fc.constantFrom(null, true, {}, []), fc.jsonValue({ maxDepth: 2 }));

/** Rule trees: mostly well-formed nodes with hostile leaves, sometimes any JSON at any node. */
const { rule } = fc.letrec<{ rule: unknown; leaf: unknown }>((tie) => ({
  rule: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: tie("leaf") },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom("and", "or"), rules: fc.array(tie("rule"), { maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("not"), rule: tie("rule") }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  ),
  leaf: fc.oneof(
    // Well-formed comparisons with hostile values (they reach the SQL as bind parameters)
    { weight: 3, arbitrary: fc.constantFrom(...featureNames).chain((feature): fc.Arbitrary<unknown> =>
      FEATURES[feature as keyof typeof FEATURES].type === "number"
        ? fc.record({ op: fc.constant("cmp"), feature: fc.constant(feature), cmp: fc.constantFrom("=", "!=", "<", "<=", ">", ">="), value: number })
        : fc.oneof(
            fc.record({ op: fc.constant("cmp"), feature: fc.constant(feature), cmp: fc.constantFrom("=", "!="), value: hostileText.filter((t) => t.length <= 300) }),
            fc.record({ op: fc.constant("cmp"), feature: fc.constant(feature), cmp: fc.constant("in"), value: fc.array(hostileText.filter((t) => t.length <= 300), { minLength: 1, maxLength: 4 }) }),
          ),
    ) },
    { weight: 2, arbitrary: fc.record({
      op: fc.constant("cmp"),
      feature: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...featureNames) }, { weight: 1, arbitrary: fc.oneof(hostileText, fc.constantFrom("__proto__", "constructor", "toString", "f.spend_lifetime); drop table customers; --")) }),
      cmp: fc.oneof({ weight: 5, arbitrary: fc.constantFrom("=", "!=", "<", "<=", ">", ">=", "in") }, { weight: 1, arbitrary: hostileText }),
      value: fc.oneof(number, hostileText, fc.array(hostileText, { minLength: 1, maxLength: 5 }), anyValue),
    }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("segment"), segment: fc.oneof(fc.constantFrom(...CATALOGUE_KEYS, ...RFM_SEGMENT_KEYS), hostileText) }) },
  ),
}));

const ruleText = fc.oneof(
  { weight: 8, arbitrary: rule.map((r) => JSON.stringify(r)) },
  { weight: 1, arbitrary: fc.oneof(hostileText, fc.string({ unit: "binary", maxLength: 100 })) },
);
const key = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/), fc.constantFrom("vip", "lost", ""), hostileText);
const name = fc.oneof(fc.constantFrom("Regulars", "Fans"), hostileText);
const intent = fc.oneof({ weight: 6, arbitrary: fc.constantFrom("preview", "save") }, { weight: 1, arbitrary: hostileText });

type Answer = { ok: true; intent: "preview"; count: number } | { ok: false; intent: string; errors: { path: string; message: string }[] };

async function snapshot(shopDomain: string) {
  const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: shopDomain } });
  return {
    segments: await prisma.segment.findMany({ where: { shopId: shop.id }, orderBy: { key: "asc" } }),
    memberships: await prisma.membership.count({ where: { shopId: shop.id } }),
    customers: await prisma.customer.count({ where: { shopId: shop.id } }),
  };
}

describe("custom segment rules under hostile input", () => {
  it("text Postgres cannot hold (NUL, lone surrogates) in a rule or name is a validation error, not a 500", async () => {
    // GIVEN an installed shop
    const a = await seedShop(A, [{ ages: [5] }]);
    const cmp = (value: string) => JSON.stringify({ op: "cmp", feature: "top_vendor", cmp: "in", value: ["ok", value] });
    // WHEN the builder previews and saves such rules, and a name with NUL
    const answers = [];
    const forms: Record<string, string>[] = [
      { intent: "preview", rule: cmp("a\u0000b") },
      { intent: "save", key: "nul-rule", name: "Nul", rule: cmp("a\u0000b") },
      { intent: "save", key: "surrogate", name: "Surrogate", rule: cmp("x").replace('"x"', '"\\ud800"') },
      { intent: "save", key: "nul-name", name: "N\u0000", rule: cmp("fine") },
    ];
    for (const form of forms) {
      answers.push(await callRoute<Answer>(builderRoute.action, await adminPost(A, "/app/segments/new", form)));
    }
    // THEN each is refused with the path of the offending text, and nothing is stored
    expect(answers.map((r) => (r instanceof Response ? r.status : r.ok ? "ok" : r.errors.map((e) => e.path).join()))).toEqual([
      "value[1]",
      "rule.value[1]",
      "rule.value[1]",
      "name",
    ]);
    expect(await prisma.segment.count({ where: { shopId: a.id, kind: "custom" } })).toBe(0);
  });

  it(`${RUNS} hostile builder submissions: a count, a saved segment or readable errors; nothing stored on rejection`, async () => {
    // GIVEN two installed shops with customers and computed segments
    const a = await seedShop(A, [{ ages: [5, 20, 40] }, { ages: [200] }, { ages: [40] }, { ages: [] }]);
    await seedShop(B, [{ ages: [400] }, { ages: [30] }], 5000n);
    const before = await snapshot(B);
    let saved = 0;
    let rejected = 0;
    let previewed = 0;

    // WHEN shop A's admin submits hostile forms to the builder's action
    await fc.assert(
      fc.asyncProperty(fc.record({ intent, rule: ruleText, key, name }), async (form) => {
        const rowsBefore = await prisma.segment.findMany({ where: { shopId: a.id }, orderBy: { key: "asc" } });
        const result = await callRoute<Answer>(builderRoute.action, await adminPost(A, "/app/segments/new", form));

        if (result instanceof Response) {
          // THEN a save redirects to the saved segment, whose rule is stored as the data it was
          expect(result.status).toBe(302);
          const savedKey = decodeURIComponent(result.headers.get("location")!.replace("/app/segments/", ""));
          const row = await prisma.segment.findUniqueOrThrow({ where: { shopId_key: { shopId: a.id, key: savedKey } } });
          expect(row.kind).toBe("custom");
          expect((row.definition as { rule: unknown }).rule).toEqual(JSON.parse(form.rule));
          saved++;
          return;
        }
        // THEN otherwise a count, or errors with a path and a readable message, and no segment row changed
        if (result.ok) {
          expect(result.intent).toBe("preview");
          expect(Number.isInteger(result.count) && result.count >= 0).toBe(true);
          previewed++;
        } else {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) {
            expect(typeof e.path).toBe("string");
            expect(typeof e.message === "string" && e.message.trim().length > 0 && e.message.length < 2000).toBe(true);
          }
          rejected++;
        }
        expect(await prisma.segment.findMany({ where: { shopId: a.id }, orderBy: { key: "asc" } })).toEqual(rowsBefore);
      }),
      { numRuns: RUNS },
    );

    // THEN every kind of answer happened, and shop B's segments, memberships and customers are as they were
    expect({ saved: saved > 0, rejected: rejected > 0, previewed: previewed > 0 }).toEqual({ saved: true, rejected: true, previewed: true });
    expect(await snapshot(B)).toEqual(before);
    // AND every custom segment A saved evaluates (the shop's memberships were recomputed on each save)
    expect(await prisma.segment.count({ where: { shopId: a.id, kind: "custom" } })).toBeGreaterThan(0);
  }, 300_000);
});
