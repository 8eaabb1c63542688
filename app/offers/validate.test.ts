import { describe, expect, it } from "vitest";
import { isSafeCtaUrl, validateOffer } from "./validate";

describe("validateOffer", () => {
  it.each([
    ["/collections/sale", true],
    ["/discount/X?redirect=%2F", true],
    ["https://shop.example.com/a?b=1", true],
    ["http://shop.example.com", false],
    ["javascript:alert(1)", false],
    ["JaVaScRiPt:alert(1)", false],
    ["data:text/html,<b>", false],
    ["//evil.example", false],
    ["/\\evil.example", false],
    ["/a b", false],
    ["collections/sale", false],
  ])("accepts %s as a call-to-action link: %s", (url, ok) => {
    expect(isSafeCtaUrl(url)).toBe(ok);
  });

  it("trims, drops control characters, upper-cases the code and defaults the name to the headline", () => {
    const result = validateOffer({
      segmentKey: " vip ",
      content: { en: { headline: "  Hi\u0007 there ", body: "a\r\nb", cta: "" }, es: { headline: "", body: "", cta: "" } },
      discountCode: " vip-10 ",
    });
    expect(result).toEqual({
      ok: true,
      offer: {
        id: null,
        name: "Hi there",
        segmentKey: "vip",
        content: { en: { headline: "Hi there", body: "a\nb", cta: "" } },
        ctaUrl: null,
        discountCode: "VIP-10",
        priority: 0,
        startsAt: null,
        endsAt: null,
        enabled: true,
      },
    });
  });

  it("accepts the guest audience and rejects a link without English call-to-action text", () => {
    expect(validateOffer({ segmentKey: "@guest", content: { en: { headline: "Welcome" } } }).ok).toBe(true);
    expect(validateOffer({ segmentKey: "vip", content: { en: { headline: "Hi" } }, ctaUrl: "/x" })).toMatchObject({
      ok: false,
      errors: [{ field: "content.en.cta", code: "url_needs_cta" }],
    });
  });
});
