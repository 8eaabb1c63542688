// Shopify's embedded-app auth as the twin plays it: session tokens (HS256 JWTs signed with the
// app secret, 1 minute), token exchange for expiring offline tokens, refresh, and the access
// tokens Admin API calls must carry.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export function signJwt(payload: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(payload));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/** Verifies an HS256 JWT; returns its payload or null (bad signature, expired, not yet valid). */
export function verifyJwt(token: string, secret: string, clockToleranceS = 10): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const expected = createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let payload: Record<string, unknown>;
  try {
    const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as { alg?: string };
    if (header.alg !== "HS256") return null;
    payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp === "number" && payload.exp + clockToleranceS < now) return null;
  if (typeof payload.nbf === "number" && payload.nbf - clockToleranceS > now) return null;
  return payload;
}

/** A session token as App Bridge hands it to the embedded app. */
export function mintSessionToken(opts: { shop: string; apiKey: string; apiSecret: string; userId?: string; ttlSeconds?: number }): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      iss: `https://${opts.shop}/admin`,
      dest: `https://${opts.shop}`,
      aud: opts.apiKey,
      sub: opts.userId ?? "1",
      exp: now + (opts.ttlSeconds ?? 60),
      nbf: now,
      iat: now,
      jti: randomUUID(),
      sid: randomUUID(),
      sig: randomBytes(32).toString("hex"),
    },
    opts.apiSecret,
  );
}

export interface AccessToken {
  token: string;
  shop: string;
  scope: string;
  expiresAt: number | null;
}

export interface TokenGrant {
  access_token: string;
  scope: string;
  expires_in?: number;
  refresh_token?: string;
  refresh_token_expires_in?: number;
  associated_user_scope?: string;
  associated_user?: Record<string, unknown>;
}

export interface TokenStoreOptions {
  scopes: string;
  /** Expiring offline access token lifetime (Shopify: 1 hour). */
  accessTokenTtlS: number;
  /** Refresh token lifetime (Shopify: 90 days). */
  refreshTokenTtlS: number;
}

interface RefreshToken {
  shop: string;
  scope: string;
  expiresAt: number;
  /** When it was first traded; it stays usable after that until a replacement is used. */
  firstUsedAt?: number;
  /** The refresh token this one replaced: retired when this one is first used. */
  predecessor?: string;
}

/** Shopify's recovery period for a used refresh token whose replacement is never used. */
const USED_REFRESH_RECOVERY_MS = 30 * 86_400_000;

export class TokenStore {
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, RefreshToken>();
  constructor(private readonly options: TokenStoreOptions) {}

  /** Issues an offline token (expiring by default) for a shop. */
  issue(shop: string, expiring = true, predecessor?: string): TokenGrant {
    const token = `shpat_${randomBytes(16).toString("hex")}`;
    const scope = this.options.scopes;
    const now = Date.now();
    this.access.set(token, { token, shop, scope, expiresAt: expiring ? now + this.options.accessTokenTtlS * 1000 : null });
    if (!expiring) return { access_token: token, scope };
    const refresh = `shprt_${randomBytes(16).toString("hex")}`;
    this.refresh.set(refresh, { shop, scope, expiresAt: now + this.options.refreshTokenTtlS * 1000, predecessor });
    return {
      access_token: token,
      scope,
      expires_in: this.options.accessTokenTtlS,
      refresh_token: refresh,
      refresh_token_expires_in: this.options.refreshTokenTtlS,
    };
  }

  /** An online (user) token, as token exchange returns for online-access-token requests. */
  issueOnline(shop: string, userId: string): TokenGrant {
    const token = `shpua_${randomBytes(16).toString("hex")}`;
    const ttl = 86_400;
    this.access.set(token, { token, shop, scope: this.options.scopes, expiresAt: Date.now() + ttl * 1000 });
    return {
      access_token: token,
      scope: this.options.scopes,
      expires_in: ttl,
      associated_user_scope: this.options.scopes,
      associated_user: { id: Number(userId) || 1, first_name: "Twin", last_name: "Merchant", email: "merchant@example.com", account_owner: true, locale: "en", collaborator: false, email_verified: true },
    };
  }

  /**
   * Trades a refresh token for a new pair. As Shopify does since its "more resilient refreshes"
   * change, a used refresh token keeps working until one of its replacements is used (at most 30
   * days from its first use, never past its own lifetime), so an app that lost the response, or
   * died before storing it, can trade the stored one again. Using a replacement retires it.
   */
  useRefresh(refreshToken: string, shop: string): TokenGrant | null {
    const entry = this.refresh.get(refreshToken);
    const now = Date.now();
    if (!entry || entry.shop !== shop || entry.expiresAt < now) return null;
    if (entry.firstUsedAt !== undefined && now - entry.firstUsedAt > USED_REFRESH_RECOVERY_MS) return null;
    entry.firstUsedAt ??= now;
    if (entry.predecessor) {
      this.refresh.delete(entry.predecessor);
      entry.predecessor = undefined;
    }
    return this.issue(shop, true, refreshToken);
  }

  /** The shop a valid access token belongs to, or null. */
  check(token: string | null, shop: string): AccessToken | null {
    if (!token) return null;
    const entry = this.access.get(token);
    if (!entry || entry.shop !== shop) return null;
    if (entry.expiresAt !== null && entry.expiresAt < Date.now()) return null;
    return entry;
  }

  /** Expires every token of a shop now (for tests of the refresh path). */
  expireAll(shop: string) {
    for (const t of this.access.values()) if (t.shop === shop) t.expiresAt = Date.now() - 1;
  }

  revokeShop(shop: string) {
    for (const [k, t] of this.access) if (t.shop === shop) this.access.delete(k);
    for (const [k, t] of this.refresh) if (t.shop === shop) this.refresh.delete(k);
  }
}
