// Loads a SeedStore (generated or UCI) straight into our tables with COPY FROM STDIN, streamed: for
// tests, benchmarks and the demo. The app's own ingest path (webhooks, bulk backfill) is elsewhere;
// this is the fast way to have a shop's history in Postgres.
import { once } from "node:events";
import { finished } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { SeedCustomer, SeedOrder, SeedStore } from "../../datasets/types.ts";

export interface LoadProgress {
  phase: "customers" | "orders" | "indexes" | "done";
  customers: number;
  orders: number;
  lineItems: number;
  refunds: number;
  seconds: number;
}

export interface LoadOptions {
  /** Called every `progressEvery` records and at each phase change. */
  onProgress?: (progress: LoadProgress) => void;
  progressEvery?: number;
  /**
   * Drop the secondary (non primary key) indexes of customers/orders/line_items/refunds for the
   * load and build them again afterwards (faster for millions of rows). They are dropped for every
   * shop in the database: use it on benchmark databases, not one other work is reading.
   */
  dropIndexes?: boolean;
  /** Customers carrying this tag are stored opted out (default the catalogue's `seg:opt-out`). */
  optOutTag?: string;
}

export interface LoadResult {
  shopId: number;
  customers: number;
  orders: number;
  lineItems: number;
  refunds: number;
  seconds: number;
}

const TABLES = ["customers", "orders", "line_items", "refunds"] as const;

// ---------------------------------------------------------------------------------------------
// COPY binary format: Postgres skips parsing timestamps and numerics, the expensive part of a load.

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,4}))?$/;
/** A money string to ten-thousandths (our columns are numeric(18,4)), exactly. */
export function toUnits(money: string): number {
  const m = DECIMAL.exec(money);
  if (!m) throw new Error(`"${money}" is not a decimal amount with at most 4 places`);
  const units = Number(m[2]) * 10_000 + Number((m[3] ?? "").padEnd(4, "0"));
  return m[1] ? -units : units;
}

export function formatUnits(units: number): string {
  const negative = units < 0;
  const abs = Math.abs(units);
  return `${negative ? "-" : ""}${Math.floor(abs / 10_000)}.${String(abs % 10_000).padStart(4, "0")}`;
}

const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const TEXT_OID = 25;
const CHUNK = 1 << 18;
const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/** Buffers rows for one binary COPY stream and writes them in large chunks, honouring backpressure. */
class CopyWriter {
  private buf = Buffer.allocUnsafe(CHUNK + 4096);
  private off = 0;
  private error: Error | null = null;
  private readonly digits: number[] = [];
  readonly stream: ReturnType<typeof copyFrom>;
  constructor(client: pg.Client, sql: string) {
    this.stream = client.query(copyFrom(`${sql} with (format binary)`));
    this.stream.on("error", (e: Error) => {
      this.error ??= e;
    });
    SIGNATURE.copy(this.buf, 0);
    this.off = SIGNATURE.length;
    this.buf.writeInt32BE(0, this.off); // flags
    this.buf.writeInt32BE(0, this.off + 4); // header extension length
    this.off += 8;
  }
  private room(bytes: number): Buffer {
    if (this.off + bytes > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + bytes));
      this.buf.copy(bigger, 0, 0, this.off);
      this.buf = bigger;
    }
    return this.buf;
  }
  row(fields: number) {
    this.room(2);
    this.buf.writeInt16BE(fields, this.off);
    this.off += 2;
  }
  null() {
    this.room(4);
    this.buf.writeInt32BE(-1, this.off);
    this.off += 4;
  }
  int4(v: number) {
    this.room(8);
    this.buf.writeInt32BE(4, this.off);
    this.buf.writeInt32BE(v, this.off + 4);
    this.off += 8;
  }
  int8(v: bigint | null) {
    if (v === null) return this.null();
    const b = this.room(12);
    b.writeInt32BE(8, this.off);
    const n = Number(v);
    if (Number.isSafeInteger(n)) {
      // Cheaper than writeBigInt64BE, which allocates BigInts per call.
      const hi = Math.floor(n / 4294967296);
      b.writeInt32BE(hi, this.off + 4);
      b.writeUInt32BE(n - hi * 4294967296, this.off + 8);
    } else b.writeBigInt64BE(v, this.off + 4);
    this.off += 12;
  }
  bool(v: boolean) {
    this.room(5);
    this.buf.writeInt32BE(1, this.off);
    this.buf[this.off + 4] = v ? 1 : 0;
    this.off += 5;
  }
  text(v: string) {
    this.room(4 + v.length * 3);
    const n = this.buf.write(v, this.off + 4, "utf8");
    this.buf.writeInt32BE(n, this.off);
    this.off += 4 + n;
  }
  timestamptz(d: Date | null) {
    if (d === null) return this.null();
    this.room(12);
    const micros = (d.getTime() - PG_EPOCH_MS) * 1000;
    const hi = Math.floor(micros / 4294967296);
    this.buf.writeInt32BE(8, this.off);
    this.buf.writeInt32BE(hi, this.off + 4);
    this.buf.writeUInt32BE(micros - hi * 4294967296, this.off + 8);
    this.off += 12;
  }
  /** A decimal string ("12.34", "-0.001") as a binary numeric: base-10000 digits. */
  numeric(money: string) {
    // Hand-rolled parse: this runs several times per order.
    let i = 0;
    const negative = money.charCodeAt(0) === 45; /* - */
    if (negative) i++;
    let whole = 0;
    let wholeDigits = 0;
    let c = money.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      whole = whole * 10 + (c - 48);
      wholeDigits++;
      c = money.charCodeAt(++i);
    }
    let fracDigit = 0;
    let scale = 0;
    if (c === 46 /* . */) {
      c = money.charCodeAt(++i);
      while (c >= 48 && c <= 57 && scale < 4) {
        fracDigit = fracDigit * 10 + (c - 48);
        scale++;
        c = money.charCodeAt(++i);
      }
      for (let k = scale; k < 4; k++) fracDigit *= 10;
    }
    if (i !== money.length || wholeDigits === 0 || wholeDigits > 15) {
      throw new Error(`"${money}" is not a decimal amount with at most 4 places`);
    }
    const digits = this.digits;
    digits.length = 0;
    while (whole > 0) {
      digits.push(whole % 10_000);
      whole = Math.floor(whole / 10_000);
    }
    digits.reverse();
    let weight = digits.length - 1;
    if (fracDigit) digits.push(fracDigit);
    else while (digits.length && digits[digits.length - 1] === 0) digits.pop();
    if (digits.length === 0) weight = 0;
    const b = this.room(12 + digits.length * 2);
    let o = this.off;
    b.writeInt32BE(8 + digits.length * 2, o);
    b.writeInt16BE(digits.length, o + 4);
    b.writeInt16BE(weight, o + 6);
    b.writeUInt16BE(negative && digits.length > 0 ? 0x4000 : 0, o + 8);
    b.writeInt16BE(scale, o + 10);
    o += 12;
    for (const d of digits) {
      b.writeInt16BE(d, o);
      o += 2;
    }
    this.off = o;
  }
  textArray(values: string[]) {
    const encoded = values.map((v) => Buffer.from(v, "utf8"));
    const size = 12 + (values.length ? 8 : 0) + encoded.reduce((s, b) => s + 4 + b.length, 0);
    this.room(4 + size);
    const b = this.buf;
    let o = this.off;
    b.writeInt32BE(size, o);
    b.writeInt32BE(values.length ? 1 : 0, o + 4); // dimensions
    b.writeInt32BE(0, o + 8); // no nulls
    b.writeInt32BE(TEXT_OID, o + 12);
    o += 16;
    if (values.length) {
      b.writeInt32BE(values.length, o);
      b.writeInt32BE(1, o + 4); // lower bound
      o += 8;
      for (const e of encoded) {
        b.writeInt32BE(e.length, o);
        e.copy(b, o + 4);
        o += 4 + e.length;
      }
    }
    this.off = o;
  }
  /** Call after each row: sends a full chunk, waiting when the connection is behind. */
  rowDone(): Promise<void> | undefined {
    return this.off >= CHUNK ? this.flush() : undefined;
  }
  async flush() {
    if (this.error) throw this.error;
    if (this.off === 0) return;
    const chunk = this.buf.subarray(0, this.off);
    this.buf = Buffer.allocUnsafe(CHUNK + 4096);
    this.off = 0;
    if (!this.stream.write(chunk)) {
      await Promise.race([
        once(this.stream, "drain"),
        once(this.stream, "error").then(([e]) => Promise.reject(e as Error)),
      ]);
    }
  }
  async end() {
    this.room(2);
    this.buf.writeInt16BE(-1, this.off);
    this.off += 2;
    await this.flush();
    this.stream.end();
    await finished(this.stream);
    if (this.error) throw this.error;
  }
}

async function* iterate<T>(source: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T[]> {
  // Batches keep the per-record await cost off synchronous generators.
  const batch: T[] = [];
  if (Symbol.asyncIterator in source) {
    for await (const item of source as AsyncIterable<T>) {
      batch.push(item);
      if (batch.length >= 1000) yield batch.splice(0);
    }
  } else {
    for (const item of source as Iterable<T>) {
      batch.push(item);
      if (batch.length >= 1000) yield batch.splice(0);
    }
  }
  if (batch.length) yield batch;
}

// ---------------------------------------------------------------------------------------------

async function ensureShop(client: pg.Client, shopId: number | null, store: SeedStore): Promise<number> {
  if (shopId !== null) {
    const found = await client.query("select id from shops where id = $1", [shopId]);
    if (found.rowCount) return shopId;
    await client.query(
      "insert into shops (id, domain, currency, timezone, installed_at) values ($1, $2, $3, $4, now())",
      [shopId, store.domain, store.currency, store.timezone],
    );
    // Keep the sequence ahead of an id chosen by hand.
    await client.query("select setval(pg_get_serial_sequence('shops', 'id'), greatest((select max(id) from shops), 1))");
    return shopId;
  }
  const { rows } = await client.query<{ id: number }>(
    `insert into shops (domain, currency, timezone, installed_at) values ($1, $2, $3, now())
     on conflict (domain) do update set currency = excluded.currency, timezone = excluded.timezone
     returning id`,
    [store.domain, store.currency, store.timezone],
  );
  return rows[0].id;
}

async function connect(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("set synchronous_commit = off");
  return client;
}

/**
 * Loads `store` into the shop `shopId` (created from the store's domain, currency and timezone when
 * missing; pass null to find or create the shop by domain). All four tables commit together or not
 * at all.
 */
export async function loadStoreIntoDatabase(
  databaseUrl: string,
  shopId: number | null,
  store: SeedStore,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const started = performance.now();
  const optOutTag = options.optOutTag ?? "seg:opt-out";
  const every = options.progressEvery ?? 100_000;
  const counts = { customers: 0, orders: 0, lineItems: 0, refunds: 0 };
  const report = (phase: LoadProgress["phase"]) =>
    options.onProgress?.({ phase, ...counts, seconds: (performance.now() - started) / 1000 });

  const control = await connect(databaseUrl);
  const clients: pg.Client[] = [];
  let droppedIndexes: string[] = [];
  let shop = 0;
  try {
    shop = await ensureShop(control, shopId, store);
    if (options.dropIndexes) {
      const { rows } = await control.query<{ name: string; def: string }>(
        `select i.indexname as name, i.indexdef as def
           from pg_indexes i
          where i.schemaname = current_schema() and i.tablename = any($1)
            and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
        [TABLES],
      );
      // Biggest table first, so the two rebuilders finish together.
      const order = ["line_items", "orders", "refunds", "customers"];
      droppedIndexes = rows
        .map((r) => r.def)
        .sort((a, b) => order.findIndex((t) => a.includes(` ON public.${t} `) || a.includes(` ON ${t} `)) - order.findIndex((t) => b.includes(` ON public.${t} `) || b.includes(` ON ${t} `)));
      for (const r of rows) await control.query(`drop index if exists ${pg.escapeIdentifier(r.name)}`);
    }
    for (let i = 0; i < 4; i++) clients.push(await connect(databaseUrl));
    for (const c of clients) await c.query("begin");
    const [customerClient, orderClient, lineClient, refundClient] = clients;

    // Customers first (they are few next to orders), then orders with their lines and refunds on
    // three connections at once so Postgres parses and inserts in parallel with our formatting.
    const customers = new CopyWriter(
      customerClient,
      "copy customers (shop_id, id, created_at, updated_at, state, opted_out) from stdin",
    );
    for await (const batch of iterate<SeedCustomer>(store.customers())) {
      for (const c of batch) {
        customers.row(6);
        customers.int4(shop);
        customers.int8(c.id);
        customers.timestamptz(c.createdAt);
        customers.timestamptz(c.updatedAt);
        customers.text(c.state);
        customers.bool(c.tags.includes(optOutTag));
        const wait = customers.rowDone();
        if (wait) await wait;
        counts.customers++;
        if (counts.customers % every === 0) report("customers");
      }
    }
    await customers.end();
    report("orders");

    const orders = new CopyWriter(
      orderClient,
      `copy orders (shop_id, id, customer_id, created_at, processed_at, updated_at, cancelled_at, currency,
        total_price, subtotal_price, total_discounts, refunded_amount, discount_codes, financial_status, test, item_count)
       from stdin`,
    );
    const lines = new CopyWriter(
      lineClient,
      "copy line_items (shop_id, id, order_id, product_id, variant_id, product_type, vendor, quantity, price) from stdin",
    );
    const refunds = new CopyWriter(refundClient, "copy refunds (shop_id, id, order_id, amount, created_at) from stdin");
    for await (const batch of iterate<SeedOrder>(store.orders())) {
      for (const o of batch) {
        let itemCount = 0;
        for (const l of o.lineItems) {
          itemCount += l.quantity;
          lines.row(9);
          lines.int4(shop);
          lines.int8(l.id);
          lines.int8(o.id);
          lines.int8(l.productId);
          lines.int8(l.variantId);
          lines.text(l.productType);
          lines.text(l.vendor);
          lines.int4(l.quantity);
          lines.numeric(l.price);
          const wait = lines.rowDone();
          if (wait) await wait;
        }
        counts.lineItems += o.lineItems.length;
        let refunded = 0;
        for (const r of o.refunds) {
          refunded += toUnits(r.amount);
          refunds.row(5);
          refunds.int4(shop);
          refunds.int8(r.id);
          refunds.int8(o.id);
          refunds.numeric(r.amount);
          refunds.timestamptz(r.createdAt);
          const wait = refunds.rowDone();
          if (wait) await wait;
        }
        counts.refunds += o.refunds.length;
        orders.row(16);
        orders.int4(shop);
        orders.int8(o.id);
        orders.int8(o.customerId);
        orders.timestamptz(o.createdAt);
        orders.timestamptz(o.processedAt);
        orders.timestamptz(o.updatedAt);
        orders.timestamptz(o.cancelledAt);
        orders.text(o.currency);
        orders.numeric(o.totalPrice);
        orders.numeric(o.subtotalPrice);
        orders.numeric(o.totalDiscounts);
        orders.numeric(refunded === 0 ? "0" : formatUnits(refunded));
        orders.textArray(o.discountCodes);
        orders.text(o.financialStatus);
        orders.bool(o.test);
        orders.int4(itemCount);
        const wait = orders.rowDone();
        if (wait) await wait;
        counts.orders++;
        if (counts.orders % every === 0) report("orders");
      }
    }
    await Promise.all([orders.end(), lines.end(), refunds.end()]);
    for (const c of clients) await c.query("commit");
  } catch (error) {
    for (const c of clients) await c.query("rollback").catch(() => {});
    throw error;
  } finally {
    if (droppedIndexes.length) {
      report("indexes");
      // Rebuilt whatever happened, two at a time (2 cores), so the schema stays whole.
      const builders = [control, ...clients.slice(0, 1)].filter(Boolean);
      let next = 0;
      await Promise.all(
        builders.map(async (c) => {
          while (next < droppedIndexes.length) await c.query(droppedIndexes[next++]);
        }),
      );
      await control.query(`analyze ${TABLES.join(", ")}`);
    }
    await Promise.all([control, ...clients].map((c) => c.end().catch(() => {})));
  }
  report("done");
  return { shopId: shop, ...counts, seconds: (performance.now() - started) / 1000 };
}
