// Property-based fuzzing of the admin's other forms, called in-process with a real session token:
// the settings action (tags, language, every segment's thresholds and switches) and the offer
// editor's action (texts, link, code, priority, dates, segment, id). Each answer is field errors
// the page can show, or a save; never a crash; a refused form changes nothing; the other shop never.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import prisma from "../../app/db.server";
import { adminPost, callRoute } from "../helpers/admin-request";
import { seedShop } from "../helpers/admin-seed";
import * as settingsRoute from "../../app/routes/app.settings";
import * as offerRoute from "../../app/routes/app.offers.$id";
import { closeEnginePool } from "../../app/segments/index.server";
import { hostileText, RAW_NUMBERS } from "./arbitraries";

// Half the default of the three main targets: each settings save re-evaluates the shop (CI time).
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const A = "fuzz-forms-a.myshopify.com";
const B = "fuzz-forms-b.myshopify.com";

afterAll(async () => {
  await closeEnginePool();
});

const field = fc.oneof(
  { weight: 3, arbitrary: hostileText.filter((t) => t.length < 5000) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_NUMBERS, "30", "0.25", "3", "seg:", "no-tags", "auto", "es", "on", "off", "true", "lost", "vip", "@guest", "/collections/all", "https://example.com", "CODE10", "2026-01-01", "") },
);

async function shopState(domain: string) {
  const shop = await prisma.shop.findUniqueOrThrow({ where: { domain } });
  return {
    settings: shop.settings,
    segments: await prisma.segment.findMany({ where: { shopId: shop.id }, orderBy: { key: "asc" } }),
    offers: await prisma.offer.findMany({ where: { shopId: shop.id }, orderBy: { id: "asc" } }),
  };
}

function readableErrors(errors: Record<string, string>) {
  for (const [k, v] of Object.entries(errors)) {
    expect(typeof k).toBe("string");
    expect(typeof v === "string" && /^[a-z]+\.error\.[A-Za-z_]+(\|.*)?$/.test(v), `${k}: ${v}`).toBe(true);
  }
}

describe("admin forms under hostile input", () => {
  it(`settings: ${RUNS} hostile forms are saved or answered with field errors; a refused form changes nothing`, async () => {
    // GIVEN two shops
    await seedShop(A, [{ ages: [5] }, { ages: [200] }]);
    await seedShop(B, [{ ages: [400] }], 5000n);
    const before = await shopState(B);
    const keys = ["tagPrefix", "optOutTag", "language", "enabled.lost", "enabled.vip", "settings.lost.olderThanDays", "settings.vip.topSpendShare", "settings.vip.minOrders365d", "settings.nope.x", "enabled.b-only"];
    const form = fc.dictionary(fc.constantFrom(...keys), field, { minKeys: 1 });

    // WHEN shop A posts hostile settings forms
    await fc.assert(
      fc.asyncProperty(form, async (f) => {
        const was = await shopState(A);
        const result = await callRoute<{ errors: Record<string, string>; saved: boolean }>(settingsRoute.action, await adminPost(A, "/app/settings", f));
        // THEN field errors (i18n keys) and nothing changed, or saved
        expect(result).not.toBeInstanceOf(Response);
        const r = result as { errors: Record<string, string>; saved: boolean };
        readableErrors(r.errors);
        if (!r.saved) expect(await shopState(A)).toEqual(was);
      }),
      { numRuns: RUNS },
    );
    // AND shop B is as it was
    expect(await shopState(B)).toEqual(before);
  }, 300_000);

  it(`offers: ${RUNS} hostile offer forms are saved or answered with field errors; a refused form changes nothing`, async () => {
    // GIVEN two shops, B with an offer
    await seedShop(A, [{ ages: [5] }, { ages: [200] }]);
    await seedShop(B, [{ ages: [400] }], 5000n);
    const made = await callRoute(offerRoute.action, await adminPost(B, "/app/offers/new", { id: "", name: "B", segmentKey: "lost", "content.en.headline": "Hi", priority: "1", enabled: "on" }), { id: "new" });
    expect((made as Response).status).toBe(302);
    const bOffer = String((await prisma.offer.findFirstOrThrow()).id);
    const before = await shopState(B);
    const keys = ["id", "name", "segmentKey", "content.en.headline", "content.en.body", "content.en.cta", "content.es.headline", "content.pt-BR.body", "ctaUrl", "discountCode", "priority", "startsAt", "endsAt", "enabled"];
    const form = fc.record({
      base: fc.constantFrom<Record<string, string>>({ id: "", segmentKey: "lost", "content.en.headline": "Come back" }, {}, { id: bOffer, segmentKey: "lost", "content.en.headline": "Mine" }),
      fields: fc.dictionary(fc.constantFrom(...keys), field, { minKeys: 1, maxKeys: 5 }),
    });

    // WHEN shop A posts hostile offer forms
    await fc.assert(
      fc.asyncProperty(form, async ({ base, fields }) => {
        const f = { ...base, ...fields };
        const was = await shopState(A);
        const id = f.id || "new";
        const result = await callRoute<{ ok: false; errors: Record<string, string> }>(offerRoute.action, await adminPost(A, `/app/offers/${id}`, f), { id });
        // THEN a redirect after a save, or field errors (i18n keys) with nothing changed
        if (result instanceof Response) {
          expect(result.status).toBe(302);
          return;
        }
        expect(result.ok).toBe(false);
        readableErrors(result.errors);
        expect((await shopState(A)).offers).toEqual(was.offers);
      }),
      { numRuns: RUNS },
    );
    // AND shop B's offer and segments are as they were
    expect(await shopState(B)).toEqual(before);
  }, 300_000);
});
