import polarisEn from "@shopify/polaris/locales/en.json";
import polarisEs from "@shopify/polaris/locales/es.json";
import polarisPtBR from "@shopify/polaris/locales/pt-BR.json";
import en from "./en.json";
import es from "./es.json";
import ptBR from "./pt-BR.json";

export const LOCALES = ["en", "es", "pt-BR"] as const;
export type Locale = (typeof LOCALES)[number];
export type MessageKey = keyof typeof en;

const messages: Record<Locale, Record<string, string>> = { en, es, "pt-BR": ptBR };
const polaris = { en: polarisEn, es: polarisEs, "pt-BR": polarisPtBR };

/** Maps any language tag (`es-MX`, `pt`, `pt-PT`, `en-US`) to one we ship. */
export function normalizeLocale(tag: string | null | undefined): Locale | null {
  if (!tag) return null;
  const lower = tag.trim().toLowerCase();
  if (lower.startsWith("es")) return "es";
  if (lower.startsWith("pt")) return "pt-BR";
  if (lower.startsWith("en")) return "en";
  return null;
}

/** Shopify passes the admin user's language as `?locale=`; fall back to Accept-Language. */
export function resolveLocale(request: Request, preferred?: string | null): Locale {
  const fromSetting = normalizeLocale(preferred);
  if (fromSetting) return fromSetting;
  const fromQuery = normalizeLocale(new URL(request.url).searchParams.get("locale"));
  if (fromQuery) return fromQuery;
  const accept = request.headers.get("accept-language") ?? "";
  for (const part of accept.split(",")) {
    const found = normalizeLocale(part.split(";")[0]);
    if (found) return found;
  }
  return "en";
}

export function translator(locale: Locale) {
  const table = messages[locale] ?? messages.en;
  return (key: MessageKey | string, vars?: Record<string, string | number>) => {
    let text = table[key] ?? messages.en[key] ?? key;
    if (vars) for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
    return text;
  };
}

export function polarisTranslations(locale: Locale) {
  return polaris[locale] ?? polaris.en;
}

export function allMessages() {
  return messages;
}
