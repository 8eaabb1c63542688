import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  UCI_CUSTOMER_ID_BASE,
  defaultOnlineRetailNow,
  formatMilli,
  onlineRetailFile,
  onlineRetailSummary,
  parseCsvLine,
  productTypeFor,
  readOnlineRetail,
  vendorFor,
} from "./online-retail.ts";
import type { SeedCustomer, SeedOrder } from "./types.ts";

const NOW = new Date("2026-11-20T12:50:00Z");

describe("parseCsvLine", () => {
  it("GIVEN quoted fields with commas and doubled quotes WHEN parsed THEN fields come out exact", () => {
    expect(parseCsvLine('536477,22041,"RECORD FRAME 7"" SINGLE SIZE ",48,x')).toEqual(["536477", "22041", 'RECORD FRAME 7" SINGLE SIZE ', "48", "x"]);
    expect(parseCsvLine('a,"b, c",,"d"')).toEqual(["a", "b, c", "", "d"]);
    expect(parseCsvLine("a,b,")).toEqual(["a", "b", ""]);
    expect(() => parseCsvLine('a,"b')).toThrow(/unterminated/);
  });
});

describe("mapping rules", () => {
  it("GIVEN stock lines WHEN mapped THEN type, vendor and money follow the documented rules", () => {
    expect(productTypeFor("85123A", "WHITE HANGING HEART T-LIGHT HOLDER")).toBe("Candles & Lighting");
    expect(productTypeFor("22423", "REGENCY CAKESTAND 3 TIER")).toBe("Kitchen & Dining");
    expect(productTypeFor("POST", "POSTAGE")).toBe("Shipping");
    expect(productTypeFor("gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00")).toBe("Gift Vouchers");
    expect(productTypeFor("M", "Manual")).toBe("Fees & Adjustments");
    expect(productTypeFor("12345", "SOMETHING UNHEARD OF")).toBe("Other");
    // Whole words only: SPRING is not a RING.
    expect(productTypeFor("1", "SPRING")).toBe("Other");
    expect(vendorFor("85123A")).toBe("Supplier 851");
    expect(vendorFor("DOT")).toBe("Online Retail Ltd");
    expect(formatMilli(2550)).toBe("2.55");
    expect(formatMilli(1)).toBe("0.001");
    expect(formatMilli(-11062060)).toBe("-11062.06");
  });

  it("GIVEN a clock before the file's last time of day WHEN the default now is taken THEN it is yesterday, never in the future", () => {
    expect(defaultOnlineRetailNow("2011-12-09 12:50:00", new Date("2026-11-23T11:00:00Z")).toISOString()).toBe("2026-11-22T12:50:00.000Z");
    expect(defaultOnlineRetailNow("2011-12-09 12:50:00", new Date("2026-11-23T13:00:00Z")).toISOString()).toBe("2026-11-23T12:50:00.000Z");
    // Summer: London is UTC+1.
    expect(defaultOnlineRetailNow("2011-12-09 12:50:00", new Date("2026-07-01T13:00:00Z")).toISOString()).toBe("2026-07-01T11:50:00.000Z");
  });
});

describe("readOnlineRetail over the whole UCI file", () => {
  // The independent count: the plainest possible pass over the file (no CSV parser; InvoiceNo is the
  // first field and CustomerID the second from the end, neither ever quoted).
  const expected = { invoices: new Set<string>(), customers: new Set<string>(), cancellations: new Set<string>(), saleMilli: 0 };
  const seen = { names: [] as string[], customers: [] as SeedCustomer[], cancelled: 0, paidMilli: 0, sorted: true, last: 0, lineItems: 0, productCodes: new Map<bigint, Set<string>>() };

  beforeAll(async () => {
    const text = gunzipSync(readFileSync(onlineRetailFile())).toString("utf8");
    const lines = text.split("\n");
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i]) continue;
      const f = lines[i].split(",");
      expected.invoices.add(f[0]);
      if (f[0].startsWith("C")) expected.cancellations.add(f[0]);
      const customer = f[f.length - 2];
      if (customer) expected.customers.add(String(Number(customer)));
      const quantity = Number(f[f.length - 5]);
      if (/^\d+$/.test(f[0]) && quantity > 0) expected.saleMilli += Math.round(quantity * Number(f[f.length - 3]) * 1000);
    }
    const store = readOnlineRetail({ now: NOW });
    for await (const order of store.orders() as AsyncIterable<SeedOrder>) {
      seen.names.push(order.name);
      seen.lineItems += order.lineItems.length;
      for (const line of order.lineItems) {
        const codes = seen.productCodes.get(line.productId!) ?? new Set<string>();
        codes.add(line.sku.toUpperCase());
        seen.productCodes.set(line.productId!, codes);
      }
      const at = order.processedAt.getTime();
      if (at < seen.last) seen.sorted = false;
      seen.last = at;
      if (order.cancelledAt) seen.cancelled++;
      else if (!order.test) seen.paidMilli += Math.round(Number(order.totalPrice) * 1000);
    }
    for await (const customer of store.customers() as AsyncIterable<SeedCustomer>) seen.customers.push(customer);
  });

  it("GIVEN the file WHEN summarised THEN it has the published counts", async () => {
    const summary = await onlineRetailSummary();
    expect(summary).toMatchObject({ lines: 541_909, invoices: 25_900, customers: 4_372, cancellationInvoices: 3_836, adjustmentInvoices: 3 });
    expect(expected.invoices.size).toBe(25_900);
    expect(expected.customers.size).toBe(4_372);
  });

  it("GIVEN the store WHEN customers are read THEN there are 4,372, exactly the file's CustomerIDs", () => {
    expect(seen.customers).toHaveLength(4_372);
    const ids = new Set(seen.customers.map((c) => String(c.id - UCI_CUSTOMER_ID_BASE)));
    expect(ids).toEqual(expected.customers);
    for (const c of seen.customers) {
      expect(c.createdAt.getTime()).toBeLessThanOrEqual(c.updatedAt.getTime());
      expect(c.updatedAt.getTime()).toBeLessThanOrEqual(NOW.getTime());
    }
  });

  it("GIVEN the store WHEN orders are read THEN every invoice comes once, in processedAt order, ending at now", () => {
    expect(seen.names).toHaveLength(25_900);
    expect(new Set(seen.names)).toEqual(new Set([...expected.invoices].map((i) => `#${i}`)));
    expect(seen.sorted).toBe(true);
    expect(seen.last).toBe(NOW.getTime());
    expect(seen.cancelled).toBe(expected.cancellations.size);
    // Sales keep all their lines; only stock write-offs (quantity <= 0 on a sale) are left out.
    expect(seen.lineItems).toBe(541_909 - 1_336);
    // One product per stock code: the hashed ids do not collide.
    expect([...seen.productCodes.values()].filter((codes) => codes.size > 1)).toEqual([]);
  });

  it("GIVEN the store WHEN paid orders are summed THEN the total equals quantity x price over the sale lines", () => {
    expect(seen.paidMilli).toBe(expected.saleMilli);
  });
});
