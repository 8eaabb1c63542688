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
// COPY text format

const NEEDS_ESCAPE = /[\\\t\n\r]/;
function copyText(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

function copyArray(values: string[]): string {
  if (values.length === 0) return "{}";
  return copyText(`{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`);
}

const date = (d: Date | null) => (d === null ? "\\N" : d.toISOString());

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

/** Buffers rows for one COPY stream and writes them in large chunks, honouring backpressure. */
class CopyWriter {
  private buffer = "";
  private error: Error | null = null;
  readonly stream: ReturnType<typeof copyFrom>;
  constructor(client: pg.Client, sql: string) {
    this.stream = client.query(copyFrom(sql));
    this.stream.on("error", (e: Error) => {
      this.error ??= e;
    });
  }
  add(row: string): Promise<void> | undefined {
    this.buffer += row;
    return this.buffer.length >= 1 << 18 ? this.flush() : undefined;
  }
  async flush() {
    if (this.error) throw this.error;
    if (!this.buffer) return;
    const ok = this.stream.write(this.buffer);
    this.buffer = "";
    if (!ok) {
      await Promise.race([
        once(this.stream, "drain"),
        once(this.stream, "error").then(([e]) => Promise.reject(e as Error)),
      ]);
    }
  }
  async end() {
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
      droppedIndexes = rows.map((r) => r.def);
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
    const prefix = `${shop}\t`;
    for await (const batch of iterate<SeedCustomer>(store.customers())) {
      for (const c of batch) {
        const optedOut = c.tags.includes(optOutTag) ? "t" : "f";
        await customers.add(`${prefix}${c.id}\t${date(c.createdAt)}\t${date(c.updatedAt)}\t${copyText(c.state)}\t${optedOut}\n`);
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
          const wait = lines.add(
            `${prefix}${l.id}\t${o.id}\t${l.productId ?? "\\N"}\t${l.variantId ?? "\\N"}\t${copyText(l.productType)}\t${copyText(l.vendor)}\t${l.quantity}\t${l.price}\n`,
          );
          if (wait) await wait;
        }
        counts.lineItems += o.lineItems.length;
        let refunded = 0;
        for (const r of o.refunds) {
          refunded += toUnits(r.amount);
          const wait = refunds.add(`${prefix}${r.id}\t${o.id}\t${r.amount}\t${date(r.createdAt)}\n`);
          if (wait) await wait;
        }
        counts.refunds += o.refunds.length;
        const wait = orders.add(
          `${prefix}${o.id}\t${o.customerId ?? "\\N"}\t${date(o.createdAt)}\t${date(o.processedAt)}\t${date(o.updatedAt)}\t${date(o.cancelledAt)}\t${copyText(o.currency)}\t${o.totalPrice}\t${o.subtotalPrice}\t${o.totalDiscounts}\t${refunded === 0 ? "0" : formatUnits(refunded)}\t${copyArray(o.discountCodes)}\t${copyText(o.financialStatus)}\t${o.test ? "t" : "f"}\t${itemCount}\n`,
        );
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
