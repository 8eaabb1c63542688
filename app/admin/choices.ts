import { LOCALES } from "../i18n/i18n";

/** The app language setting: "auto" follows the Shopify admin's locale. */
export const LANGUAGE_CHOICES = ["auto", ...LOCALES] as const;
