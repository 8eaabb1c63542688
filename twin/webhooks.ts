// Webhook delivery like Shopify's: subscriptions from shopify.app.toml, HMAC-signed raw bodies,
// at-least-once with retries (8 over ~4 h, time compressible), and fault modes (duplicate,
// reorder, delay, drop) for testing an app's idempotency and ordering.
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { stringifyExact } from "./json.ts";
import { ADMIN_API_VERSION } from "./schema.ts";

export interface Subscription {
  topics: string[];
  uri: string;
}

export interface WebhookFaults {
  /** Probability (0..1) that a delivery is sent twice (same webhook id). */
  duplicate?: number;
  /** Hold this many deliveries, then release them shuffled. */
  reorder?: number;
  /** Release a partially filled reorder window after this many ms (default 50). */
  reorderHoldMs?: number;
  /** Extra latency before each attempt, ms. */
  delay?: number;
  /** Probability (0..1) that a delivery is silently lost (never attempted). */
  drop?: number;
}

export interface DeliveryAttempt {
  webhookId: string;
  eventId: string;
  topic: string;
  shop: string;
  url: string;
  attempt: number;
  status: number | null;
  ok: boolean;
  error?: string;
  at: string;
  body: string;
  triggeredAt: string;
  duplicate?: boolean;
}

export interface WebhookRecord {
  webhookId: string;
  eventId: string;
  topic: string;
  shop: string;
  url: string;
  body: string;
  triggeredAt: string;
  state: "queued" | "held" | "in-flight" | "retrying" | "delivered" | "failed" | "dropped";
  attempts: number;
}

/** Shopify retries 8 times over about 4 hours (seconds before each retry). */
export const RETRY_DELAYS_S = [10, 30, 60, 300, 900, 1800, 3600, 7200];

export function readSubscriptions(tomlPath: string): Subscription[] {
  const config = parseToml(readFileSync(tomlPath, "utf8")) as {
    webhooks?: { subscriptions?: { topics?: string[]; uri?: string; compliance_topics?: string[] }[] };
  };
  const subs: Subscription[] = [];
  for (const s of config.webhooks?.subscriptions ?? []) {
    if (!s.uri) continue;
    const topics = [...(s.topics ?? []), ...(s.compliance_topics ?? [])];
    if (topics.length) subs.push({ topics, uri: s.uri });
  }
  return subs;
}

/** The app's requested scopes (`[access_scopes] scopes`), as token exchange grants them. */
export function readScopes(tomlPath: string): string | null {
  const config = parseToml(readFileSync(tomlPath, "utf8")) as { access_scopes?: { scopes?: string } };
  return config.access_scopes?.scopes?.replace(/\s+/g, "") || null;
}

export function signWebhook(rawBody: string, secret: string) {
  return createHmac("sha256", secret).update(rawBody, "utf8").digest("base64");
}

/** A small seeded PRNG so fault runs are reproducible. */
export function seededRandom(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export interface WebhookDispatcherOptions {
  apiSecret: string;
  appUrl: () => string;
  subscriptions: Subscription[];
  timeScale: number;
  timeoutMs?: number;
  concurrency?: number;
  seed?: number;
}

export class WebhookDispatcher {
  readonly log: DeliveryAttempt[] = [];
  readonly records: WebhookRecord[] = [];
  subscriptions: Subscription[];
  faults: WebhookFaults = {};
  readonly shopFaults = new Map<string, WebhookFaults>();
  private readonly ready: WebhookRecord[] = [];
  private readonly held: WebhookRecord[] = [];
  private holdTimer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private waiting = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly random: () => number;
  private stopped = false;
  /** Attempt counts for retries scheduled in the future. */

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.subscriptions = options.subscriptions;
    this.random = seededRandom(options.seed ?? 42);
  }

  /** Replaces the faults for every shop (or one shop). `{}` clears them. */
  setFaults(faults: WebhookFaults, shop?: string) {
    if (shop) this.shopFaults.set(shop, faults);
    else this.faults = faults;
  }

  private faultsFor(shop: string): WebhookFaults {
    return { ...this.faults, ...this.shopFaults.get(shop) };
  }

  isSubscribed(topic: string) {
    return this.subscriptions.some((s) => s.topics.includes(topic));
  }

  /**
   * Queues one delivery per subscription of `topic`. `body` is built lazily, so unsubscribed topics
   * cost nothing. Returns the webhook ids.
   */
  emit(shop: string, topic: string, body: unknown | (() => unknown), eventId: string = randomUUID()): string[] {
    const subs = this.subscriptions.filter((s) => s.topics.includes(topic));
    if (!subs.length || this.stopped) return [];
    const raw = stringifyExact(typeof body === "function" ? (body as () => unknown)() : body);
    const triggeredAt = new Date().toISOString();
    const ids: string[] = [];
    for (const sub of subs) {
      const record: WebhookRecord = {
        webhookId: randomUUID(),
        eventId,
        topic,
        shop,
        url: new URL(sub.uri, this.options.appUrl()).toString(),
        body: raw,
        triggeredAt,
        state: "queued",
        attempts: 0,
      };
      this.records.push(record);
      ids.push(record.webhookId);
      const faults = this.faultsFor(shop);
      if (faults.drop && this.random() < faults.drop) {
        record.state = "dropped";
        continue;
      }
      if (faults.reorder && faults.reorder > 1) {
        record.state = "held";
        this.held.push(record);
        if (this.held.length >= faults.reorder) this.releaseHeld();
        else this.armHoldTimer(faults.reorderHoldMs ?? 50);
      } else {
        this.ready.push(record);
      }
      if (faults.duplicate && this.random() < faults.duplicate) {
        const dup = { ...record, state: "queued" as const };
        (dup as WebhookRecord & { duplicate?: boolean }).duplicate = true;
        this.ready.push(dup);
      }
    }
    this.pump();
    return ids;
  }

  private armHoldTimer(ms: number) {
    if (this.holdTimer) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.releaseHeld();
    }, ms);
  }

  private releaseHeld() {
    if (this.holdTimer) {
      clearTimeout(this.holdTimer);
      this.holdTimer = null;
    }
    const batch = this.held.splice(0);
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [batch[i], batch[j]] = [batch[j], batch[i]];
    }
    for (const r of batch) r.state = "queued";
    this.ready.push(...batch);
    this.pump();
  }

  private pump() {
    const limit = this.options.concurrency ?? 8;
    while (!this.stopped && this.inFlight < limit && this.ready.length) {
      const record = this.ready.shift()!;
      this.inFlight++;
      void this.attempt(record).finally(() => {
        this.inFlight--;
        this.pump();
        this.checkIdle();
      });
    }
    this.checkIdle();
  }

  private async attempt(record: WebhookRecord & { duplicate?: boolean }) {
    record.state = "in-flight";
    record.attempts++;
    const faults = this.faultsFor(record.shop);
    if (faults.delay) await new Promise((r) => setTimeout(r, faults.delay));
    const entry: DeliveryAttempt = {
      webhookId: record.webhookId,
      eventId: record.eventId,
      topic: record.topic,
      shop: record.shop,
      url: record.url,
      attempt: record.attempts,
      status: null,
      ok: false,
      at: new Date().toISOString(),
      body: record.body,
      triggeredAt: record.triggeredAt,
      ...(record.duplicate ? { duplicate: true } : {}),
    };
    try {
      const response = await fetch(record.url, {
        method: "POST",
        body: record.body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "Shopify-Captain-Hook",
          "X-Shopify-Topic": record.topic,
          "X-Shopify-Hmac-Sha256": signWebhook(record.body, this.options.apiSecret),
          "X-Shopify-Shop-Domain": record.shop,
          "X-Shopify-API-Version": ADMIN_API_VERSION,
          "X-Shopify-Webhook-Id": record.webhookId,
          "X-Shopify-Event-Id": record.eventId,
          "X-Shopify-Triggered-At": record.triggeredAt,
        },
      });
      await response.arrayBuffer().catch(() => undefined);
      entry.status = response.status;
      entry.ok = response.ok;
    } catch (error) {
      entry.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    this.log.push(entry);
    if (entry.ok) {
      record.state = "delivered";
      return;
    }
    if (record.attempts > RETRY_DELAYS_S.length || this.stopped) {
      record.state = "failed";
      return;
    }
    record.state = "retrying";
    const delay = RETRY_DELAYS_S[record.attempts - 1] * 1000 * this.options.timeScale;
    this.waiting++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.waiting--;
      record.state = "queued";
      this.ready.push(record);
      this.pump();
    }, delay);
    this.timers.add(timer);
  }

  private busy() {
    return this.inFlight > 0 || this.ready.length > 0 || this.held.length > 0 || this.waiting > 0;
  }

  private checkIdle() {
    if (this.busy()) return;
    const waiters = this.idleWaiters.splice(0);
    for (const w of waiters) w();
  }

  /** Resolves when nothing is queued, held, in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Deliveries (every attempt), optionally filtered. */
  deliveries(filter: { topic?: string; shop?: string } = {}) {
    return this.log.filter((d) => (!filter.topic || d.topic === filter.topic) && (!filter.shop || d.shop === filter.shop));
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.waiting = 0;
    this.ready.length = 0;
    this.held.length = 0;
    this.checkIdle();
  }
}
