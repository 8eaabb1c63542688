import { useRouteLoaderData } from "@remix-run/react";
import { translator, type Locale } from "../i18n/i18n";

export type T = ReturnType<typeof translator>;

/** The locale the app layout resolved (the shop's language setting over the admin's locale). */
export function useLocale(): Locale {
  const data = useRouteLoaderData<{ locale?: Locale }>("routes/app");
  return data?.locale ?? "en";
}

export function useT(): T {
  return translator(useLocale());
}

/**
 * Error codes from view models: "key", "key|var1|var2" (as {min}/{max}), or "!text" (an engine's
 * message, shown as it is).
 */
export function errorText(t: T, code: string | undefined | null): string | undefined {
  if (!code) return undefined;
  if (code.startsWith("!")) return code.slice(1);
  const [key, ...args] = code.split("|");
  return t(key, { min: args[0] ?? "", max: args[1] ?? "" });
}

/** A translated label with an English fallback for names the engine defines. */
export function label(t: T, key: string, fallback: string): string {
  const text = t(key);
  return text === key ? fallback : text;
}

export function useFormat() {
  const locale = useLocale();
  const number = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  return {
    number: (n: number) => number.format(n),
    signed: (n: number) => (n > 0 ? `+${number.format(n)}` : number.format(n)),
    percent: (n: number) => percent.format(n),
    money: (amount: string | number, currency: string) => {
      try {
        return new Intl.NumberFormat(locale, { style: "currency", currency }).format(Number(amount));
      } catch {
        return `${Number(amount).toFixed(2)} ${currency}`;
      }
    },
    date: (iso: string) => date.format(new Date(iso)),
    dateTime: (iso: string) => `${dateTime.format(new Date(iso))} UTC`,
  };
}
