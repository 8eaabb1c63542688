// Renders the theme extension's blocks with liquidjs the way Shopify would: snippets through
// `render` (isolated scope, global objects visible), a `t` filter reading the extension's storefront
// locale files, `schema` as a no-op tag. Unknown filters fail the render, so every Shopify filter the
// blocks use must exist here; the ones liquidjs lacks or implements differently are defined below.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Liquid, type TagToken, type TopLevelToken } from "liquidjs";

export const EXTENSION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../segment-offers");

type Json = Record<string, unknown>;

function loadLocale(file: string): Json {
  return JSON.parse(readFileSync(path.join(EXTENSION_DIR, "locales", file), "utf8")) as Json;
}

function lookup(table: Json, key: string): string | undefined {
  let node: unknown = table;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Json)[part];
  }
  return typeof node === "string" ? node : undefined;
}

const LOCALE_FILES: Record<string, string> = { en: "en.default.json", es: "es.json", "pt-BR": "pt-BR.json" };

export function createEngine(locale: string) {
  const fallback = loadLocale(LOCALE_FILES.en);
  const table = LOCALE_FILES[locale] ? loadLocale(LOCALE_FILES[locale]) : fallback;
  const engine = new Liquid({
    root: [path.join(EXTENSION_DIR, "blocks")],
    partials: [path.join(EXTENSION_DIR, "snippets")],
    extname: ".liquid",
    strictFilters: true,
    // Shopify Liquid: only nil and false are falsy ("" and 0 are truthy).
    jsTruthy: false,
  });
  engine.registerTag("schema", {
    parse(_token: TagToken, remainTokens: TopLevelToken[]) {
      // Swallow everything up to {% endschema %}.
      for (let token = remainTokens.shift(); token; token = remainTokens.shift()) {
        if ((token as TagToken).name === "endschema") return;
      }
      throw new Error("{% schema %} without {% endschema %}");
    },
    render() {
      return "";
    },
  });
  // Shopify's `escape` is Ruby's CGI.escapeHTML (liquidjs writes &#34; where Shopify writes &quot;).
  engine.registerFilter("escape", (value: unknown) =>
    value === null || value === undefined
      ? value
      : String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!),
  );
  // Shopify's `t`: missing keys render a "translation missing" marker, which a test can catch.
  engine.registerFilter("t", (key: string) => lookup(table, key) ?? lookup(fallback, key) ?? `translation missing: ${locale}.${key}`);
  return engine;
}

export type Offer = {
  id: string;
  segment: string;
  priority: number;
  starts_at: string | null;
  ends_at: string | null;
  headline: Record<string, string>;
  body: Record<string, string>;
  cta: Record<string, string>;
  cta_url: string | null;
  discount_code: string | null;
};

export type Visitor =
  | { kind: "guest" }
  | { kind: "customer"; segments?: string[] | null; offer?: string | null; optedOut?: boolean; tags?: string[] };

export async function renderBlock(
  block: "segment-offer" | "segment-banner",
  input: {
    feed: unknown;
    visitor: Visitor;
    locale?: string;
    settings?: Record<string, unknown>;
    /** The theme editor (request.design_mode). */
    designMode?: boolean;
  },
) {
  const locale = input.locale ?? "en";
  const engine = createEngine(locale);
  const customer =
    input.visitor.kind === "guest"
      ? null
      : {
          id: 7001,
          tags: input.visitor.tags ?? [],
          metafields: {
            $app: {
              segments:
                input.visitor.segments === null
                  ? null
                  : {
                      value: {
                        segments: input.visitor.segments ?? [],
                        offer: input.visitor.offer ?? null,
                        ...(input.visitor.optedOut ? { opted_out: true } : {}),
                      },
                    },
            },
          },
        };
  const defaults =
    block === "segment-offer"
      ? { style: "card", segments: "", show_guest: true, background: "#F4F1EA", text_color: "#1F1F1F" }
      : { segments: "", show_guest: true, background: "#1F1F1F", text_color: "#FFFFFF" };
  const globals = {
    shop: { metafields: { $app: { offers: input.feed === undefined ? null : { value: input.feed } } } },
    customer,
    request: { locale: { iso_code: locale }, design_mode: input.designMode ?? false },
  };
  const html = await engine.renderFile(block, { block: { id: "b1", settings: { ...defaults, ...input.settings } } }, { globals });
  return html.trim();
}
