// Every admin loader and action starts here: the embedded session decides the shop. A shop id is
// never taken from the request; every view model below is bounded by the shop returned here.
import prisma from "../db.server";
import { authenticate } from "../shopify.server";
import { normalizeLocale, resolveLocale, type Locale } from "../i18n/i18n";
import { recordInstall } from "../lib/shops.server";

export interface AdminShop {
  id: number;
  domain: string;
  currency: string;
  timezone: string;
  settings: Record<string, unknown>;
}

export interface AdminContext {
  shop: AdminShop;
  locale: Locale;
}

/** The shop's language setting ("auto" or absent: the admin user's locale). */
export function shopLanguage(settings: unknown): Locale | null {
  const s = (typeof settings === "object" && settings !== null ? settings : {}) as Record<string, unknown>;
  return typeof s.language === "string" && s.language !== "auto" ? normalizeLocale(s.language) : null;
}

export async function requireAdmin(request: Request): Promise<AdminContext> {
  const { session } = await authenticate.admin(request);
  // A valid offline session means the app is installed; afterAuth normally created the row.
  const row = (await prisma.shop.findUnique({ where: { domain: session.shop } })) ?? (await recordInstall(session.shop, session.scope ?? null));
  const settings = (typeof row.settings === "object" && row.settings !== null && !Array.isArray(row.settings) ? row.settings : {}) as Record<string, unknown>;
  return {
    shop: { id: row.id, domain: row.domain, currency: row.currency, timezone: row.timezone, settings },
    locale: resolveLocale(request, shopLanguage(settings)),
  };
}
