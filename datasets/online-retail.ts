// The UCI "Online Retail" history (../shared/data/online-retail/) as a SeedStore: a real UK gift
// shop's 2010-2011 invoices, dates shifted so the last invoice is "now". Streamed from the gzip file
// on every read; the mapping rules are in datasets/README.md.
import { createReadStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { hash32 } from "./random.ts";
import type { SeedCustomer, SeedLineItem, SeedOrder, SeedStore } from "./types.ts";

const repoRoot = path.resolve(import.meta.dirname, "..");

export function sharedDir(): string {
  return process.env.SEGSYNC_SHARED_DIR ?? path.resolve(repoRoot, "../shared");
}

export function onlineRetailFile(): string {
  return path.join(sharedDir(), "data/online-retail/online-retail.csv.gz");
}

export const UCI_CUSTOMER_ID_BASE = 8_000_000_000_000n;
export const UCI_ORDER_ID_BASE = 8_100_000_000_000n;
export const UCI_CANCELLATION_ORDER_ID_BASE = 8_150_000_000_000n;
export const UCI_ADJUSTMENT_ORDER_ID_BASE = 8_160_000_000_000n;
export const UCI_LINE_ITEM_ID_BASE = 8_200_000_000_000n;
export const UCI_PRODUCT_ID_BASE = 8_400_000_000_000n;
export const UCI_VARIANT_ID_BASE = 8_500_000_000_000n;
export const UCI_TIMEZONE = "Europe/London";
/** The retailer itself, vendor of everything that is not a supplier's product (postage, fees). */
export const UCI_HOUSE_VENDOR = "Online Retail Ltd";

// ---------------------------------------------------------------------------------------------
// Reading

/** Splits one CSV line (RFC 4180 quoting: "a, b" and "" for a quote). The file has no multi-line fields. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quoted field in CSV line: ${line}`);
        value += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i >= n) return fields;
      if (line.charCodeAt(i) !== 44) throw new Error(`unexpected character after quoted field in CSV line: ${line}`);
      i++;
    } else {
      const c = line.indexOf(",", i);
      if (c < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

const HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";

export interface RetailRow {
  /** 1-based number of the data line (the header is line 0). */
  line: number;
  invoiceNo: string;
  stockCode: string;
  description: string;
  quantity: number;
  /** As written: "YYYY-MM-DD HH:MM:SS", UK local time. */
  invoiceDate: string;
  /** Unit price in thousandths of a pound (the file has up to 3 decimals). */
  unitPriceMilli: number;
  /** Integer CustomerID, or null when the line has none. */
  customerId: number | null;
  country: string;
}

async function* readLines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file).pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    input.destroy();
  }
}

function parseMilli(text: string, line: number): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,3}))?$/.exec(text);
  if (!m) throw new Error(`line ${line}: UnitPrice "${text}" is not a decimal with at most 3 places`);
  const value = Number(m[2]) * 1000 + Number((m[3] ?? "").padEnd(3, "0"));
  return m[1] ? -value : value;
}

export async function* readRetailRows(file = onlineRetailFile()): AsyncGenerator<RetailRow> {
  let n = -1;
  for await (const text of readLines(file)) {
    n++;
    if (n === 0) {
      if (text.replace(/^\uFEFF/, "") !== HEADER) throw new Error(`${file}: unexpected header "${text}"`);
      continue;
    }
    if (text === "") continue;
    const f = parseCsvLine(text);
    if (f.length !== 8) throw new Error(`${file} line ${n}: expected 8 fields, got ${f.length}`);
    const quantity = Number(f[3]);
    if (!Number.isInteger(quantity)) throw new Error(`${file} line ${n}: Quantity "${f[3]}" is not an integer`);
    let customerId: number | null = null;
    if (f[6] !== "") {
      customerId = Number(f[6]);
      if (!Number.isInteger(customerId) || customerId <= 0) throw new Error(`${file} line ${n}: CustomerID "${f[6]}" is not an integer`);
    }
    yield {
      line: n,
      invoiceNo: f[0],
      stockCode: f[1],
      description: f[2],
      quantity,
      invoiceDate: f[4],
      unitPriceMilli: parseMilli(f[5], n),
      customerId,
      country: f[7],
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Time: the file's local UK times to instants, shifted so the last invoice is `now`.

const offsetCache = new Map<string, number>();
const londonOffsetFormat = new Intl.DateTimeFormat("en-GB", { timeZone: UCI_TIMEZONE, timeZoneName: "shortOffset" });

/** Minutes London is ahead of UTC on a calendar day (taken at noon; the shop trades in daytime). */
function londonOffsetMinutes(day: string): number {
  let offset = offsetCache.get(day);
  if (offset === undefined) {
    const name = londonOffsetFormat.formatToParts(new Date(`${day}T12:00:00Z`)).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
    const m = /GMT([+-])(\d+)(?::(\d+))?/.exec(name);
    offset = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
    offsetCache.set(day, offset);
  }
  return offset;
}

const epochCache = new Map<string, number>();

/** "2011-12-09 12:50:00" (London local time) to epoch ms. */
export function londonLocalToEpoch(text: string): number {
  let epoch = epochCache.get(text);
  if (epoch === undefined) {
    epoch = parseLondonLocal(text);
    if (epochCache.size > 100_000) epochCache.clear();
    epochCache.set(text, epoch);
  }
  return epoch;
}

function parseLondonLocal(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) throw new Error(`InvoiceDate "${text}" is not "YYYY-MM-DD HH:MM:SS"`);
  const utc = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4] ?? "00"}Z`);
  return utc - londonOffsetMinutes(m[1]) * 60_000;
}

/**
 * Default end of the shifted history: today (London calendar) at the file's last time of day, or
 * the day before when that moment is still ahead, so no shifted invoice lies in the future.
 */
export function defaultOnlineRetailNow(lastInvoiceDate: string, clock = new Date()): Date {
  const timeOfDay = lastInvoiceDate.slice(11);
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: UCI_TIMEZONE }).format(clock); // YYYY-MM-DD
  let at = londonLocalToEpoch(`${today} ${timeOfDay}`);
  if (at > clock.getTime()) {
    const yesterday = new Date(Date.parse(`${today}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    at = londonLocalToEpoch(`${yesterday} ${timeOfDay}`);
  }
  return new Date(at);
}

// ---------------------------------------------------------------------------------------------
// Mapping rules (documented in datasets/README.md)

/** Stock codes that are not goods: postage, fees, manual adjustments, vouchers. */
export function nonProductType(stockCode: string): string | null {
  const code = stockCode.toUpperCase();
  if (code === "POST" || code === "DOT" || code === "C2") return "Shipping";
  if (code.startsWith("GIFT_")) return "Gift Vouchers";
  if (["M", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK"].includes(code)) return "Fees & Adjustments";
  return null;
}

/** First matching rule wins; words are matched whole, singular or plural. */
const TYPE_RULES: [string, string[]][] = [
  ["Seasonal & Party", ["CHRISTMAS", "XMAS", "ADVENT", "EASTER", "BUNTING", "PARTY", "BIRTHDAY", "SANTA", "REINDEER", "SNOWFLAKE"]],
  ["Candles & Lighting", ["CANDLE", "LIGHT", "LANTERN", "TEALIGHT", "LAMP", "NIGHTLIGHT"]],
  ["Bags", ["BAG", "TOTE", "PURSE", "SHOPPER", "HANDBAG", "BACKPACK", "RUCKSACK"]],
  ["Kitchen & Dining", ["MUG", "CUP", "BOWL", "PLATE", "TEA", "CAKE", "KITCHEN", "JAR", "BOTTLE", "LUNCH", "SPOON", "NAPKIN", "CAKESTAND", "TRAY", "TEAPOT", "BAKING", "CUTLERY", "APRON", "GLASS", "JUG", "COFFEE", "EGG", "BISCUIT", "RECIPE", "OVEN", "CHOPSTICK", "STRAW", "DISH"]],
  ["Stationery & Gift Wrap", ["CARD", "WRAP", "PAPER", "NOTEBOOK", "PEN", "PENCIL", "STICKER", "ENVELOPE", "BOOK", "NOTEPAD", "TAPE", "RIBBON", "CRAYON", "ERASER", "CALENDAR", "JOURNAL", "TISSUE"]],
  ["Toys & Kids", ["TOY", "GAME", "DOLL", "PUZZLE", "SPACEBOY", "DOLLY", "CHILDREN", "KIDS", "PLAYHOUSE", "SKITTLE", "DOMINO", "JIGSAW", "SOLDIER", "TEDDY", "BABY", "DINOSAUR", "BALLOON", "SKIPPING", "BINGO"]],
  ["Jewelry & Accessories", ["NECKLACE", "EARRING", "BRACELET", "RING", "JEWEL", "CHARM", "BROOCH", "HAIRCLIP", "HAIRSLIDE", "UMBRELLA", "GLOVE", "SCARF", "PHONE", "DIAMANTE", "BEAD"]],
  ["Garden", ["GARDEN", "PLANT", "FLOWER", "BIRD", "WATERING", "POT", "PLANTER", "BIRDHOUSE", "SEED", "HEN"]],
  ["Storage", ["BOX", "STORAGE", "BASKET", "DRAWER", "CRATE", "TIN", "CASE", "HOLDER", "BUCKET", "TRUNK", "CABINET"]],
  ["Home Decor", ["HEART", "DECORATION", "SIGN", "FRAME", "CLOCK", "MIRROR", "DOORMAT", "CUSHION", "VASE", "ORNAMENT", "HOOK", "HANGER", "WALL", "GARLAND", "WREATH", "CHALKBOARD", "DOORSTOP", "THROW", "BLANKET", "HOT WATER", "PHOTO", "WICKER", "CHANDELIER", "HANGING"]],
];

function typeWords(description: string): Set<string> {
  const words = new Set<string>();
  for (const w of description.toUpperCase().split(/[^A-Z]+/)) {
    if (!w) continue;
    words.add(w);
    if (w.length > 3 && w.endsWith("ES")) words.add(w.slice(0, -2));
    if (w.length > 3 && w.endsWith("S")) words.add(w.slice(0, -1));
  }
  return words;
}

/** The product type of a stock line: non-goods by code, goods by the first keyword rule matching the description. */
export function productTypeFor(stockCode: string, description: string): string {
  const special = nonProductType(stockCode);
  if (special) return special;
  const words = typeWords(description);
  const upper = description.toUpperCase();
  for (const [type, keywords] of TYPE_RULES) {
    for (const k of keywords) if (k.includes(" ") ? upper.includes(k) : words.has(k)) return type;
  }
  return "Other";
}

/** Goods are grouped into suppliers by the first three digits of their StockCode. */
export function vendorFor(stockCode: string): string {
  if (nonProductType(stockCode)) return UCI_HOUSE_VENDOR;
  const m = /^(\d{3})/.exec(stockCode);
  return m ? `Supplier ${m[1]}` : UCI_HOUSE_VENDOR;
}

/** A stable 39-bit number for a stock code (product and variant ids). */
export function stockCodeKey(stockCode: string): bigint {
  const code = stockCode.toUpperCase();
  const chars = [...code].map((c) => c.codePointAt(0) ?? 0);
  const hi = hash32(0x5151, ...chars) & 0x7ffff; // 19 bits
  const lo = hash32(0x7a7a, ...chars); // 20 bits used
  return (BigInt(hi) << 20n) | BigInt(lo & 0xfffff);
}

/** Money in thousandths of a pound as a decimal string: two places, three when needed (0.001). */
export function formatMilli(milli: number): string {
  const negative = milli < 0;
  const abs = Math.abs(milli);
  const whole = Math.floor(abs / 1000);
  const rest = abs % 1000;
  const frac = rest % 10 === 0 ? String(rest / 10).padStart(2, "0") : String(rest).padStart(3, "0");
  return `${negative ? "-" : ""}${whole}.${frac}`;
}

interface MappedProduct {
  productId: bigint;
  variantId: bigint;
  title: string;
  productType: string;
  vendor: string;
}
const productCache = new Map<string, MappedProduct>();

function productFor(stockCode: string, description: string): MappedProduct {
  const cacheKey = `${stockCode}\u0000${description}`;
  let product = productCache.get(cacheKey);
  if (!product) {
    const key = stockCodeKey(stockCode);
    const title = description.trim() || stockCode;
    product = {
      productId: UCI_PRODUCT_ID_BASE + key,
      variantId: UCI_VARIANT_ID_BASE + key,
      title,
      productType: productTypeFor(stockCode, title),
      vendor: vendorFor(stockCode),
    };
    if (productCache.size > 100_000) productCache.clear();
    productCache.set(cacheKey, product);
  }
  return product;
}

type InvoiceKind = "sale" | "cancellation" | "adjustment";

function invoiceKind(invoiceNo: string): InvoiceKind {
  if (/^\d+$/.test(invoiceNo)) return "sale";
  if (/^C\d+$/.test(invoiceNo)) return "cancellation";
  if (/^A\d+$/.test(invoiceNo)) return "adjustment";
  throw new Error(`InvoiceNo "${invoiceNo}" is neither a sale (digits), a cancellation (C…) nor an adjustment (A…)`);
}

function invoiceOrderId(invoiceNo: string, kind: InvoiceKind): bigint {
  const digits = BigInt(invoiceNo.replace(/^[CA]/, ""));
  if (kind === "sale") return UCI_ORDER_ID_BASE + digits;
  if (kind === "cancellation") return UCI_CANCELLATION_ORDER_ID_BASE + digits;
  return UCI_ADJUSTMENT_ORDER_ID_BASE + digits;
}

interface OpenInvoice {
  invoiceNo: string;
  lastLine: number;
  rows: RetailRow[];
}

/**
 * Invoices in file order, each exactly once. The file keeps an invoice's lines together except in a
 * few places (e.g. 542806 is interrupted by two lines of C542805), so an invoice is complete once
 * no line of it came in the last GAP lines.
 */
async function* readInvoices(file: string): AsyncGenerator<RetailRow[]> {
  const GAP = 1000;
  const open = new Map<string, OpenInvoice>();
  const closed = new Set<string>();
  for await (const row of readRetailRows(file)) {
    let invoice = open.get(row.invoiceNo);
    if (!invoice) {
      if (closed.has(row.invoiceNo)) {
        throw new Error(`${file} line ${row.line}: invoice ${row.invoiceNo} reappears more than ${GAP} lines after its last line`);
      }
      invoice = { invoiceNo: row.invoiceNo, lastLine: row.line, rows: [] };
      open.set(row.invoiceNo, invoice);
    }
    invoice.rows.push(row);
    invoice.lastLine = row.line;
    for (const [no, first] of open) {
      if (first.lastLine >= row.line - GAP) break;
      open.delete(no);
      closed.add(no);
      yield first.rows;
    }
  }
  for (const invoice of open.values()) yield invoice.rows;
}

function buildOrder(rows: RetailRow[], shiftMs: number): SeedOrder {
  const first = rows[0];
  const kind = invoiceKind(first.invoiceNo);
  const customerIds = new Set(rows.map((r) => r.customerId));
  if (customerIds.size > 1) throw new Error(`invoice ${first.invoiceNo} has lines of more than one customer`);
  const times = rows.map((r) => londonLocalToEpoch(r.invoiceDate));
  const processedAt = new Date(Math.min(...times) + shiftMs);
  const updatedAt = new Date(Math.max(...times) + shiftMs);
  const lineItems: SeedLineItem[] = [];
  let subtotal = 0;
  for (const row of rows) {
    // On a sale, a line with quantity <= 0 is a stock write-off (price 0, no customer), not a sale.
    if (kind === "sale" && row.quantity <= 0) continue;
    // A cancellation lists what was returned as negative quantities: the cancelled order holds them positive.
    const quantity = kind === "cancellation" ? -row.quantity : row.quantity;
    subtotal += quantity * row.unitPriceMilli;
    const product = productFor(row.stockCode, row.description);
    lineItems.push({
      id: UCI_LINE_ITEM_ID_BASE + BigInt(row.line),
      productId: product.productId,
      variantId: product.variantId,
      title: product.title,
      productType: product.productType,
      vendor: product.vendor,
      sku: row.stockCode,
      quantity,
      price: formatMilli(row.unitPriceMilli),
    });
  }
  const money = formatMilli(subtotal);
  const nonSale = kind === "adjustment" || lineItems.length === 0;
  return {
    id: invoiceOrderId(first.invoiceNo, kind),
    customerId: first.customerId === null ? null : UCI_CUSTOMER_ID_BASE + BigInt(first.customerId),
    name: `#${first.invoiceNo}`,
    createdAt: processedAt,
    processedAt,
    updatedAt,
    cancelledAt: kind === "cancellation" ? processedAt : null,
    cancelReason: kind === "cancellation" ? "customer" : null,
    currency: "GBP",
    subtotalPrice: money,
    totalDiscounts: "0.00",
    totalPrice: money,
    discountCodes: [],
    financialStatus: kind === "cancellation" || nonSale ? "voided" : "paid",
    test: nonSale,
    lineItems,
    refunds: [],
  };
}

// ---------------------------------------------------------------------------------------------
// The store

export interface ReadOnlineRetailOptions {
  /** Path of the gzip CSV (default: the shared copy). */
  file?: string;
  /** Where the last invoice lands (default: today at the file's last time of day, see defaultOnlineRetailNow). */
  now?: Date;
  domain?: string;
}

/** The last InvoiceDate of a file (one quick pass; cached per file). */
const lastDateCache = new Map<string, Promise<string>>();
function lastInvoiceDate(file: string): Promise<string> {
  let found = lastDateCache.get(file);
  if (!found) {
    found = (async () => {
      let last = "";
      for await (const text of readLines(file)) {
        const f = text.split(",");
        // InvoiceDate is the 4th field from the end; the last three never hold commas.
        const date = f[f.length - 4];
        if (date && /^\d{4}-/.test(date) && date > last) last = date;
      }
      if (!last) throw new Error(`${file}: no invoices`);
      return last;
    })();
    lastDateCache.set(file, found);
  }
  return found;
}

async function shiftFor(file: string, now: Date | undefined): Promise<number> {
  const last = await lastInvoiceDate(file);
  const end = now ?? defaultOnlineRetailNow(last);
  return end.getTime() - londonLocalToEpoch(last);
}

/** The UCI Online Retail history as a store; both streams re-read the file each time. */
export function readOnlineRetail(options: ReadOnlineRetailOptions = {}): SeedStore {
  const file = options.file ?? onlineRetailFile();
  return {
    domain: options.domain ?? "online-retail-uk.myshopify.com",
    currency: "GBP",
    timezone: UCI_TIMEZONE,
    async *customers(): AsyncGenerator<SeedCustomer> {
      const shiftMs = await shiftFor(file, options.now);
      const seen = new Map<number, { first: number; last: number }>();
      for await (const row of readRetailRows(file)) {
        if (row.customerId === null) continue;
        const at = londonLocalToEpoch(row.invoiceDate);
        const s = seen.get(row.customerId);
        if (!s) seen.set(row.customerId, { first: at, last: at });
        else {
          if (at < s.first) s.first = at;
          if (at > s.last) s.last = at;
        }
      }
      for (const [customerId, s] of seen) {
        yield {
          id: UCI_CUSTOMER_ID_BASE + BigInt(customerId),
          createdAt: new Date(s.first + shiftMs),
          updatedAt: new Date(s.last + shiftMs),
          state: "enabled",
          tags: [],
        };
      }
    },
    async *orders(): AsyncGenerator<SeedOrder> {
      const shiftMs = await shiftFor(file, options.now);
      for await (const rows of readInvoices(file)) yield buildOrder(rows, shiftMs);
    },
  };
}

export interface OnlineRetailSummary {
  lines: number;
  invoices: number;
  cancellationInvoices: number;
  adjustmentInvoices: number;
  customers: number;
  linesWithoutCustomer: number;
  firstInvoiceDate: string;
  lastInvoiceDate: string;
}

/**
 * Expected counts computed by a deliberately different, simpler pass than the reader (plain comma
 * split: InvoiceNo is the first field, CustomerID the second from the end, and neither is ever
 * quoted), for tests to check the reader against.
 */
export async function onlineRetailSummary(file = onlineRetailFile()): Promise<OnlineRetailSummary> {
  const invoices = new Set<string>();
  const customers = new Set<string>();
  let lines = -1;
  let linesWithoutCustomer = 0;
  let first = "";
  let last = "";
  for await (const text of readLines(file)) {
    lines++;
    if (lines === 0 || text === "") continue;
    const f = text.split(",");
    invoices.add(f[0]);
    const customer = f[f.length - 2];
    if (customer) customers.add(customer);
    else linesWithoutCustomer++;
    const date = f[f.length - 4];
    if (!first || date < first) first = date;
    if (date > last) last = date;
  }
  const all = [...invoices];
  return {
    lines,
    invoices: invoices.size,
    cancellationInvoices: all.filter((i) => i.startsWith("C")).length,
    adjustmentInvoices: all.filter((i) => i.startsWith("A")).length,
    customers: customers.size,
    linesWithoutCustomer,
    firstInvoiceDate: first,
    lastInvoiceDate: last,
  };
}
