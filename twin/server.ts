// The twin's HTTP server and its in-process handle. See twin/README.md for the API.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { execute, type GraphQLError } from "graphql";
import { generateStore, type GenerateStoreOptions } from "../datasets/generate.ts";
import { readOnlineRetail, type ReadOnlineRetailOptions } from "../datasets/online-retail.ts";
import type { SeedStore } from "../datasets/types.ts";
import { adminPageHtml, appBridgeScript, appFrameUrl } from "./admin-page.ts";
import { mintSessionToken, TokenStore, verifyJwt, type TokenGrant } from "./auth.ts";
import { BulkManager, type BulkOperationRecord } from "./bulk.ts";
import { CostBucket, MAX_QUERY_COST, operationOf, queryCost, type ThrottleStatus } from "./cost.ts";
import { parseExact, stringifyExact } from "./json.ts";
import { bulkFinishPayload } from "./payloads.ts";
import { fieldResolver, rootValue, typeResolver, type ExecContext } from "./resolvers.ts";
import { ADMIN_API_VERSION, adminSchema, parseAndValidate, toShopifyError, type ShopifyGraphQLError } from "./schema.ts";
import { TwinShop, toBig, type ApiFaults, type NewCustomer, type NewOrder, type ShopOptions } from "./shop.ts";
import { generateTwinStore, type TwinStoreOptions } from "./test-store.ts";
import { readScopes, readSubscriptions, WebhookDispatcher, type Subscription, type WebhookFaults } from "./webhooks.ts";

export interface TwinOptions {
  port?: number;
  apiKey?: string;
  apiSecret?: string;
  /** Where webhooks go and what the admin page embeds; can be set later with `setAppUrl`. */
  appUrl?: string;
  appHandle?: string;
  appName?: string;
  /** Bucket size in cost points (Shopify Standard: 1000 here by default). */
  bucketSize?: number;
  /** Points restored per second (default 100). */
  restoreRate?: number;
  /** Multiplies webhook retry delays (e.g. 0.001 turns 4 h of retries into 14 s). */
  timeScale?: number;
  /** shopify.app.toml to read webhook subscriptions from (default: the repository's). */
  subscriptionsFrom?: string;
  /** Explicit subscriptions (instead of the toml). */
  subscriptions?: Subscription[];
  /** Granted scopes reported by token exchange (default: the toml's access_scopes). */
  scopes?: string;
  /** Pause between bulk operation status steps, ms (default 10). */
  bulkStepDelayMs?: number;
  /** Webhook request timeout, ms (Shopify: 5000). */
  webhookTimeoutMs?: number;
  /** Deliveries in flight at once (default 8; 1 delivers strictly in order unless faults say otherwise). */
  webhookConcurrency?: number;
  /** Expiring offline token lifetime, seconds (Shopify: 3600). */
  accessTokenTtlS?: number;
  /** Seed for fault randomness. */
  seed?: number;
}

export interface GraphqlCall {
  shop: string;
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | null;
  status: number;
  requestedQueryCost: number | null;
  actualQueryCost: number | null;
  throttled: boolean;
  errors: ShopifyGraphQLError[] | undefined;
  at: string;
}

export interface GraphqlResponse {
  status: number;
  body: { data?: unknown; errors?: ShopifyGraphQLError[] | string; extensions?: { cost?: unknown } };
}

export const DEFAULT_API_KEY = "testApiKey";
export const DEFAULT_API_SECRET = "testApiSecretKey";
const ROOT = path.resolve(import.meta.dirname, "..");
const UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)";

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === "string" ? body : JSON.stringify(body));
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : stringifyExact(body);
  res.writeHead(status, {
    "Content-Type": typeof body === "string" && headers["Content-Type"] === undefined ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
    ...headers,
  });
  res.end(text);
}

export class Twin {
  url = "";
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly appHandle: string;
  readonly appName: string;
  readonly appNamespace: string;
  readonly webhooks: WebhookDispatcher;
  readonly graphqlCalls: GraphqlCall[] = [];
  readonly tokens: TokenStore;
  private appUrl: string;
  private readonly shops = new Map<string, TwinShop>();
  private readonly buckets = new Map<string, CostBucket>();
  private readonly bulks = new Map<string, BulkManager>();
  private readonly uploads = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private idCounter = 9_000_000_000_000n;

  constructor(private readonly options: TwinOptions = {}) {
    this.apiKey = options.apiKey ?? DEFAULT_API_KEY;
    this.apiSecret = options.apiSecret ?? DEFAULT_API_SECRET;
    this.appHandle = options.appHandle ?? "segment-sync";
    this.appName = options.appName ?? "Segment Sync";
    this.appNamespace = `app--${9_100_000 + (this.apiKey.length % 1000)}`;
    this.appUrl = options.appUrl ?? "http://127.0.0.1:3000";
    const toml = options.subscriptionsFrom ?? path.join(ROOT, "shopify.app.toml");
    const subscriptions = options.subscriptions ?? readSubscriptions(toml);
    this.webhooks = new WebhookDispatcher({
      apiSecret: this.apiSecret,
      appUrl: () => this.appUrl,
      subscriptions,
      timeScale: options.timeScale ?? 1,
      timeoutMs: options.webhookTimeoutMs,
      concurrency: options.webhookConcurrency,
      seed: options.seed,
    });
    this.tokens = new TokenStore({
      scopes: options.scopes ?? readScopes(toml) ?? "read_customers,write_customers,read_orders,read_all_orders",
      accessTokenTtlS: options.accessTokenTtlS ?? 3600,
      refreshTokenTtlS: 90 * 86_400,
    });
  }

  nextId(): bigint {
    return ++this.idCounter;
  }

  setAppUrl(url: string) {
    this.appUrl = url.replace(/\/$/, "");
  }
  getAppUrl() {
    return this.appUrl;
  }

  // ---- shops ---------------------------------------------------------------------------------

  createShop(domain: string, opts: ShopOptions = {}): TwinShop {
    if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(domain)) throw new Error(`shop domain must be <name>.myshopify.com, got ${domain}`);
    const existing = this.shops.get(domain);
    if (existing) return existing;
    const shop = new TwinShop(domain, opts, {
      dispatcher: this.webhooks,
      appNamespace: this.appNamespace,
      nextId: () => this.nextId(),
      onUninstall: (d) => this.tokens.revokeShop(d),
    });
    this.shops.set(domain, shop);
    this.bulks.set(
      domain,
      new BulkManager({
        newId: () => this.nextId(),
        context: () => this.context(shop),
        resultUrl: (op) => `${this.url}/__bulk/${domain}/${op.id}.jsonl`,
        upload: (p) => this.uploads.get(p),
        onFinish: (op) => this.bulkFinished(shop, op),
        stepDelayMs: this.options.bulkStepDelayMs ?? 10,
      }),
    );
    return shop;
  }

  shop(domain: string): TwinShop {
    const shop = this.shops.get(domain);
    if (!shop) throw new Error(`no shop ${domain} in the twin`);
    return shop;
  }

  hasShop(domain: string) {
    return this.shops.has(domain);
  }

  listShops() {
    return [...this.shops.keys()];
  }

  bulk(domain: string): BulkManager {
    this.shop(domain);
    return this.bulks.get(domain)!;
  }

  /** Seeds a shop (created if missing) from a store history. No webhooks are sent. */
  async seed(domain: string, store: SeedStore, opts: ShopOptions = {}) {
    const shop = this.hasShop(domain) ? this.shop(domain) : this.createShop(domain, { currency: store.currency, timezone: store.timezone, ...opts });
    await shop.seed(store);
    return shop;
  }

  private bulkFinished(shop: TwinShop, op: BulkOperationRecord) {
    this.webhooks.emit(shop.domain, "bulk_operations/finish", () => bulkFinishPayload(op));
  }

  private context(shop: TwinShop): ExecContext {
    return {
      shop,
      bulk: this.bulks.get(shop.domain)!,
      stagedUploadUrl: (key) => `${this.url}/__upload/${key}`,
      apiKey: this.apiKey,
    };
  }

  private bucket(domain: string) {
    let b = this.buckets.get(domain);
    if (!b) {
      b = new CostBucket(this.options.bucketSize ?? 1000, this.options.restoreRate ?? 100);
      this.buckets.set(domain, b);
    }
    return b;
  }

  throttleStatus(domain: string): ThrottleStatus {
    return this.bucket(domain).status();
  }

  // ---- auth ----------------------------------------------------------------------------------

  /** A session token (id_token) for the shop's admin user, as App Bridge provides it. */
  mintSessionToken(domain: string, opts: { userId?: string; ttlSeconds?: number } = {}) {
    return mintSessionToken({ shop: domain, apiKey: this.apiKey, apiSecret: this.apiSecret, ...opts });
  }

  /**
   * Installs the app: the shop exists (created if needed), an offline token is issued. The app can
   * also get its own token by token exchange with a session token.
   */
  installApp(domain: string): { accessToken: string; refreshToken?: string; expiresIn?: number; scope: string; idToken: string } {
    const shop = this.hasShop(domain) ? this.shop(domain) : this.createShop(domain);
    shop.installed = true;
    const grant = this.tokens.issue(domain, true);
    return {
      accessToken: grant.access_token,
      refreshToken: grant.refresh_token,
      expiresIn: grant.expires_in,
      scope: grant.scope,
      idToken: this.mintSessionToken(domain),
    };
  }

  /**
   * An HTTP client for the shop's Admin GraphQL endpoint with a valid token (installing the app
   * when no token is given): for tests and scripts that talk to the twin as an app would.
   */
  adminClient(domain: string, accessToken?: string) {
    const token = accessToken ?? this.installApp(domain).accessToken;
    const endpoint = `${this.url}/admin/api/${ADMIN_API_VERSION}/graphql.json`;
    return {
      accessToken: token,
      async graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) {
        const response = await fetch(endpoint, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": token, "X-Shopify-Shop-Domain": domain },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as { data?: T; errors?: ShopifyGraphQLError[]; extensions?: { cost?: { requestedQueryCost: number; actualQueryCost: number | null; throttleStatus: ThrottleStatus } } };
        return { status: response.status, ...body };
      },
    };
  }

  /** The admin page that embeds the app for a shop (see README for routing admin.shopify.com). */
  adminUrl(domain: string) {
    return `${this.url}/store/${domain.replace(/\.myshopify\.com$/, "")}/apps/${this.appHandle}`;
  }

  // ---- Admin GraphQL -------------------------------------------------------------------------

  /**
   * Runs one Admin GraphQL request as the HTTP endpoint does (auth is checked when a token is
   * given, or when `requireToken`).
   */
  async graphql(domain: string, body: { query?: string; variables?: Record<string, unknown>; operationName?: string | null }, accessToken?: string | null, requireToken = false): Promise<GraphqlResponse> {
    const shop = this.shops.get(domain);
    if (!shop) return { status: 404, body: { errors: "Not Found" } };
    if ((requireToken || accessToken !== undefined) && !this.tokens.check(accessToken ?? null, domain)) {
      return { status: 401, body: { errors: UNAUTHORIZED } };
    }
    const call: GraphqlCall = {
      shop: domain,
      query: body.query ?? "",
      variables: body.variables,
      operationName: body.operationName ?? null,
      status: 200,
      requestedQueryCost: null,
      actualQueryCost: null,
      throttled: false,
      errors: undefined,
      at: new Date().toISOString(),
    };
    if (this.graphqlCalls.length >= 10_000) this.graphqlCalls.splice(0, 1000);
    this.graphqlCalls.push(call);
    const faults = shop.apiFaults;
    if (faults.serverErrors && faults.serverErrors > 0) {
      faults.serverErrors--;
      call.status = faults.serverErrorStatus ?? 503;
      return { status: call.status, body: { errors: call.status === 503 ? "Service Unavailable" : "Internal Server Error" } };
    }
    const bucket = this.bucket(domain);
    const respond = (status: number, payload: GraphqlResponse["body"]): GraphqlResponse => {
      call.status = status;
      if (Array.isArray(payload.errors)) call.errors = payload.errors;
      return { status, body: payload };
    };
    if (!body.query) {
      return respond(200, { errors: [{ message: "No query string was present" }] });
    }
    const parsed = parseAndValidate(body.query);
    if (!parsed.document) return respond(200, { errors: parsed.errors });
    const operation = operationOf(parsed.document, body.operationName);
    if (!operation) return respond(200, { errors: [{ message: body.operationName ? `No operation named "${body.operationName}"` : "No operations in document" }] });
    const schema = adminSchema();
    const requested = queryCost(schema, parsed.document, operation, body.variables);
    call.requestedQueryCost = requested;
    const costExt = (actual: number | null) => ({
      cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: bucket.status() },
    });
    if (requested > MAX_QUERY_COST) {
      return respond(200, {
        errors: [
          {
            message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n`,
            extensions: { code: "MAX_COST_EXCEEDED", cost: requested, maxCost: MAX_QUERY_COST, documentation: "https://shopify.dev/api/usage/rate-limits" },
          },
        ],
        extensions: costExt(null),
      });
    }
    const forced = faults.throttled && faults.throttled > 0;
    if (forced) faults.throttled!--;
    if (forced || !bucket.take(requested)) {
      call.throttled = true;
      return respond(200, {
        errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
        extensions: costExt(null),
      });
    }
    const result = await execute({
      schema,
      document: parsed.document,
      rootValue,
      contextValue: this.context(shop),
      variableValues: body.variables,
      operationName: body.operationName ?? undefined,
      fieldResolver,
      typeResolver,
    });
    const actual = result.data ? queryCost(schema, parsed.document, operation, body.variables, operation.operation === "mutation" ? undefined : result.data) : 0;
    call.actualQueryCost = actual;
    bucket.refund(Math.max(0, requested - actual));
    const errors = result.errors?.map((e: GraphQLError) => ({ ...toShopifyError(e), ...(e.extensions && Object.keys(e.extensions).length ? { extensions: e.extensions } : {}) }));
    return respond(200, {
      ...(errors ? { errors } : {}),
      ...(result.data !== undefined ? { data: result.data } : {}),
      extensions: costExt(actual),
    });
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  async listen(port = 0) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (error instanceof HttpError) send(res, error.status, error.body);
        else {
          send(res, 500, { errors: String(error instanceof Error ? error.stack : error) });
        }
      });
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop() {
    this.webhooks.stop();
    for (const b of this.bulks.values()) await b.settle().catch(() => undefined);
    if (!this.server) return;
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private shopFromRequest(req: IncomingMessage, url: URL): string | null {
    const header = req.headers["x-shopify-shop-domain"];
    if (typeof header === "string" && header) return header;
    const host = (req.headers.host ?? "").split(":")[0];
    if (host.endsWith(".myshopify.com")) return host;
    return url.searchParams.get("shop");
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://twin.local");
    const p = url.pathname;
    const method = req.method ?? "GET";
    if (method === "OPTIONS") {
      res.writeHead(204, { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*", "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE" });
      res.end();
      return;
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/admin\/api\/([\w-]+)\/graphql\.json$/.exec(p)) && method === "POST") {
      return this.handleGraphql(req, res, url);
    }
    if (p === "/admin/oauth/access_token" && method === "POST") return this.handleAccessToken(req, res, url);
    if ((m = /^\/store\/([a-z0-9-]+)\/apps\/([\w-]+)(\/.*)?$/.exec(p)) && method === "GET") {
      const domain = `${m[1]}.myshopify.com`;
      if (!this.hasShop(domain)) return send(res, 404, "No such store");
      const frameUrl = appFrameUrl({ appUrl: this.appUrl, shop: domain, idToken: this.mintSessionToken(domain), locale: url.searchParams.get("locale") ?? "en", path: `/app${m[3] ?? ""}` });
      return send(res, 200, adminPageHtml({ shop: domain, appName: this.appName, frameUrl }), { "Content-Type": "text/html; charset=utf-8" });
    }
    if ((p === "/shopifycloud/app-bridge.js" || p === "/__twin/app-bridge.js") && method === "GET") {
      return send(res, 200, appBridgeScript(this.url), { "Content-Type": "application/javascript; charset=utf-8", "Access-Control-Allow-Origin": "*" });
    }
    if (p === "/__twin/session-token" && method === "GET") {
      const shop = url.searchParams.get("shop") ?? "";
      if (!this.hasShop(shop)) return send(res, 404, { error: "no such shop" }, { "Access-Control-Allow-Origin": "*" });
      return send(res, 200, { idToken: this.mintSessionToken(shop) }, { "Access-Control-Allow-Origin": "*" });
    }
    if (p.startsWith("/__upload/") && (method === "POST" || method === "PUT")) return this.handleUpload(req, res, url);
    if ((m = /^\/__bulk\/([^/]+)\/(\d+)\.jsonl$/.exec(p)) && method === "GET") {
      const text = this.hasShop(m[1]) ? this.bulk(m[1]).result(BigInt(m[2])) : undefined;
      if (text === undefined) return send(res, 404, "NoSuchKey");
      res.writeHead(200, { "Content-Type": "application/jsonl", "Content-Length": Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (p.startsWith("/__twin/")) return this.handleControl(req, res, url, method);
    send(res, 404, "Not Found");
  }

  private async handleGraphql(req: IncomingMessage, res: ServerResponse, url: URL) {
    const domain = this.shopFromRequest(req, url);
    const raw = await readBody(req);
    if (!domain || !this.hasShop(domain)) return send(res, 404, { errors: "Not Found" });
    const token = req.headers["x-shopify-access-token"];
    if (!this.tokens.check(typeof token === "string" ? token : null, domain)) return send(res, 401, { errors: UNAUTHORIZED });
    const faults: ApiFaults = this.shop(domain).apiFaults;
    if (faults.timeouts && faults.timeouts > 0) {
      faults.timeouts--;
      setTimeout(() => req.socket.destroy(), faults.timeoutMs ?? 10_000).unref();
      return;
    }
    let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
    try {
      body = JSON.parse(raw.toString("utf8") || "{}");
    } catch {
      return send(res, 400, { errors: [{ message: "Invalid JSON in request body" }] });
    }
    const result = await this.graphql(domain, body);
    send(res, result.status, result.body, { "X-Shopify-API-Version": ADMIN_API_VERSION, "X-Request-Id": randomUUID() });
  }

  private async handleAccessToken(req: IncomingMessage, res: ServerResponse, url: URL) {
    const domain = this.shopFromRequest(req, url);
    const raw = (await readBody(req)).toString("utf8");
    let body: Record<string, string>;
    try {
      body = (req.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded") ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw);
    } catch {
      return send(res, 400, { error: "invalid_request", error_description: "Malformed body" });
    }
    if (!domain || !this.hasShop(domain)) return send(res, 404, { error: "shop_not_found" });
    if (body.client_id !== this.apiKey || body.client_secret !== this.apiSecret) {
      return send(res, 401, { error: "invalid_client", error_description: "Client credentials are invalid" });
    }
    let grant: TokenGrant | null = null;
    if (body.grant_type === "urn:ietf:params:oauth:grant-type:token-exchange") {
      const payload = body.subject_token ? verifyJwt(body.subject_token, this.apiSecret) : null;
      if (!payload || payload.aud !== this.apiKey || payload.dest !== `https://${domain}`) {
        return send(res, 400, { error: "invalid_subject_token", error_description: "Session token is invalid or expired" });
      }
      const shop = this.shop(domain);
      shop.installed = true;
      grant =
        body.requested_token_type === "urn:shopify:params:oauth:token-type:online-access-token"
          ? this.tokens.issueOnline(domain, String(payload.sub ?? "1"))
          : this.tokens.issue(domain, body.expiring === "1");
    } else if (body.grant_type === "refresh_token") {
      grant = this.tokens.useRefresh(body.refresh_token ?? "", domain);
      if (!grant) return send(res, 400, { error: "invalid_grant", error_description: "Refresh token is invalid, expired or revoked" });
    } else {
      return send(res, 400, { error: "unsupported_grant_type" });
    }
    send(res, 200, grant);
  }

  private async handleUpload(req: IncomingMessage, res: ServerResponse, url: URL) {
    const raw = await readBody(req);
    const contentType = req.headers["content-type"] ?? "";
    let key = decodeURIComponent(url.pathname.slice("/__upload/".length));
    let content: string;
    if (contentType.startsWith("multipart/form-data")) {
      const form = await new Request("http://twin.local/", { method: "POST", body: new Uint8Array(raw), headers: { "content-type": contentType } }).formData();
      key = String(form.get("key") ?? key);
      const file = form.get("file");
      if (!file) return send(res, 400, "<Error><Code>InvalidArgument</Code><Message>Missing file</Message></Error>", { "Content-Type": "application/xml" });
      content = typeof file === "string" ? file : await file.text();
    } else {
      content = raw.toString("utf8");
    }
    if (!key) return send(res, 400, "<Error><Code>InvalidArgument</Code><Message>Missing key</Message></Error>", { "Content-Type": "application/xml" });
    this.uploads.set(key, content);
    res.writeHead(201, { "Content-Type": "application/xml", Location: `${this.url}/__upload/${key}` });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><PostResponse><Location>${this.url}/__upload/${key}</Location><Key>${key}</Key></PostResponse>`);
  }

  // ---- control API over HTTP (for other processes) ---------------------------------------------

  private async handleControl(req: IncomingMessage, res: ServerResponse, url: URL, method: string) {
    const raw = (await readBody(req)).toString("utf8");
    const body = (raw ? parseExact(raw) : {}) as Record<string, unknown>;
    const p = url.pathname.slice("/__twin".length);
    const ok = (value: unknown) => send(res, 200, value ?? { ok: true });
    let m: RegExpExecArray | null;
    try {
      if (p === "/shops" && method === "GET") return ok(this.listShops());
      if (p === "/shops" && method === "POST") {
        const shop = this.createShop(String(body.domain), body as ShopOptions);
        return ok({ domain: shop.domain, id: shop.info.id });
      }
      if (p === "/app-url" && method === "POST") {
        this.setAppUrl(String(body.appUrl));
        return ok({ appUrl: this.appUrl });
      }
      if (p === "/webhooks/faults" && method === "POST") {
        this.webhooks.setFaults(body as WebhookFaults);
        return ok(null);
      }
      if (p === "/webhooks/deliveries" && method === "GET") {
        return ok(this.webhooks.deliveries({ topic: url.searchParams.get("topic") ?? undefined, shop: url.searchParams.get("shop") ?? undefined }));
      }
      if (p === "/webhooks/idle" && method === "POST") {
        await this.webhooks.idle();
        return ok(null);
      }
      if (p === "/graphql-calls" && method === "GET") return ok(this.graphqlCalls);
      if (!(m = /^\/shops\/([^/]+)(\/.*)?$/.exec(p))) return send(res, 404, { error: "unknown control path" });
      const domain = decodeURIComponent(m[1]);
      const rest = m[2] ?? "";
      const shop = this.shop(domain);
      if (rest === "/install" && method === "POST") return ok(this.installApp(domain));
      if (rest === "/uninstall" && method === "POST") return ok(shop.uninstall());
      if (rest === "/session-token" && method === "GET") return ok({ idToken: this.mintSessionToken(domain) });
      if (rest === "/admin-url" && method === "GET") return ok({ url: this.adminUrl(domain) });
      if (rest === "/seed" && method === "POST") {
        await shop.seed(seedStoreFor(domain, { currency: shop.currency, timezone: shop.info.timezone, ...body }));
        return ok({ customers: shop.customers.length, orders: shop.orders.length });
      }
      if (rest === "/faults" && method === "POST") {
        if (body.api) shop.setApiFaults(body.api as ApiFaults);
        if (body.webhooks) shop.setWebhookFaults(body.webhooks as WebhookFaults);
        return ok(null);
      }
      if (rest === "/flow-triggers" && method === "GET") return ok(shop.flowTriggers);
      if (rest === "/customers" && method === "POST") return ok(shop.createCustomer(body as NewCustomer));
      if (rest === "/orders" && method === "POST") return ok(shop.placeOrder(body as unknown as NewOrder));
      if (rest === "/compliance" && method === "POST") {
        const topic = String(body.topic);
        if (topic === "customers/redact") shop.requestCustomerRedact(toBig(body.customerId as string));
        else if (topic === "customers/data_request") shop.requestCustomerData(toBig(body.customerId as string));
        else if (topic === "shop/redact") shop.requestShopRedact();
        else return send(res, 400, { error: `unknown compliance topic ${topic}` });
        return ok(null);
      }
      if ((m = /^\/customers\/(\d+)(\/\w+)?$/.exec(rest))) {
        const id = BigInt(m[1]);
        const action = m[2] ?? "";
        if (action === "" && method === "GET") return ok(shop.requireCustomer(id));
        if (action === "" && (method === "PATCH" || method === "PUT")) return ok(shop.updateCustomer(id, body as NewCustomer));
        if (action === "" && method === "DELETE") return ok(shop.deleteCustomer(id));
        if (action === "/tags" && method === "GET") return ok(shop.tags(id));
        if (action === "/tags" && method === "POST") {
          const added = body.add ? shop.addTags(id, body.add as string[]) : [];
          const removed = body.remove ? shop.removeTags(id, body.remove as string[]) : [];
          return ok({ added, removed, tags: shop.tags(id) });
        }
        if (action === "/metafields" && method === "GET") return ok([...shop.metafieldsOf("CUSTOMER", id).values()]);
      }
      if ((m = /^\/orders\/(\d+)(\/\w+)?$/.exec(rest))) {
        const id = BigInt(m[1]);
        const action = m[2] ?? "";
        if (action === "" && method === "GET") return ok(shop.requireOrder(id));
        if (action === "/pay" && method === "POST") return ok(shop.payOrder(id));
        if (action === "/refund" && method === "POST") return ok(shop.refundOrder(id, body as Parameters<TwinShop["refundOrder"]>[1]));
        if (action === "/cancel" && method === "POST") return ok(shop.cancelOrder(id, body.reason as string | undefined));
        if (action === "/payload" && method === "GET") return ok(shop.orderWebhookBody(id));
      }
      if (rest === "/metafields" && method === "GET") return ok([...shop.shopMetafields.values()]);
      return send(res, 404, { error: "unknown control path" });
    } catch (error) {
      return send(res, 400, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/**
 * The store a control-API seed request describes: `generator` "datasets" (default: the project's
 * realistic generator, datasets/generate.ts), "online-retail" (the UCI history) or "twin" (the
 * twin's small generator, twin/test-store.ts); the other fields are that generator's options.
 */
function seedStoreFor(domain: string, body: Record<string, unknown>): SeedStore {
  const { generator = "datasets", ...rest } = body;
  const now = typeof rest.now === "string" ? new Date(rest.now) : undefined;
  if (generator === "twin") return generateTwinStore({ ...(rest as unknown as TwinStoreOptions), domain, ...(now ? { now } : {}) });
  if (generator === "online-retail") return readOnlineRetail({ ...(rest as ReadOnlineRetailOptions), domain, ...(now ? { now } : {}) });
  if (generator === "datasets") return generateStore({ ...(rest as unknown as GenerateStoreOptions), domain, ...(now ? { now } : {}) });
  throw new Error(`unknown generator ${String(generator)}: datasets, online-retail or twin`);
}

/** Starts a twin on a free loopback port (or `options.port`). */
export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  adminSchema();
  const twin = new Twin(options);
  await twin.listen(options.port ?? 0);
  return twin;
}
