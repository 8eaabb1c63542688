// The extensions as Shopify's own tools see them: theme check, `shopify app build` (offline), the
// platform's size limits, and the Flow trigger contract push-back relies on.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseToml } from "smol-toml";
import { themeCheckRun } from "@shopify/theme-check-node";
import { describe, expect, it } from "vitest";
import { EXTENSION_DIR } from "./liquid";

const ROOT = path.resolve(EXTENSION_DIR, "../..");
const KB = 1024;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

const bytes = (files: string[]) => files.reduce((sum, f) => sum + statSync(f).size, 0);

function keysOf(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object") return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keysOf(v, prefix ? `${prefix}.${k}` : k));
}

describe("theme app extension segment-offers", () => {
  it("passes Shopify theme check with no offense", async () => {
    const run = await themeCheckRun(EXTENSION_DIR, undefined, () => {});
    expect(run.offenses.map((o) => `${o.uri}: ${o.check} ${o.message}`)).toEqual([]);
  });

  it("stays inside Shopify's limits: Liquid < 100 KB, no JavaScript, locales <= 15 KB, <= 30 blocks", () => {
    const files = filesUnder(EXTENSION_DIR);
    const liquid = files.filter((f) => f.endsWith(".liquid"));
    const blocks = readdirSync(path.join(EXTENSION_DIR, "blocks"));
    expect(bytes(liquid)).toBeLessThan(100 * KB);
    expect(bytes(files.filter((f) => f.endsWith(".js")))).toBe(0);
    for (const file of liquid) {
      const source = readFileSync(file, "utf8");
      expect(source, file).not.toMatch(/<script|\{%-?\s*javascript|"javascript"\s*:|asset_url/i);
    }
    for (const file of files.filter((f) => f.includes(`${path.sep}locales${path.sep}`))) {
      expect(statSync(file).size, file).toBeLessThanOrEqual(15 * KB);
    }
    expect(blocks.length).toBeLessThanOrEqual(30);
    // Only what the CLI accepts: blocks/snippets hold Liquid, locales JSON, plus the toml.
    for (const file of files) {
      const rel = path.relative(EXTENSION_DIR, file);
      expect(rel, rel).toMatch(/^(shopify\.extension\.toml|blocks\/[\w-]+\.liquid|snippets\/[\w-]+\.liquid|locales\/[\w.-]+\.json)$/);
    }
  });

  it("ships every merchant- and customer-facing string in English, Spanish and Portuguese", () => {
    const read = (name: string) => JSON.parse(readFileSync(path.join(EXTENSION_DIR, "locales", name), "utf8")) as unknown;
    const storefront = keysOf(read("en.default.json")).sort();
    const schema = keysOf(read("en.default.schema.json")).sort();
    for (const lang of ["es", "pt-BR"]) {
      expect(keysOf(read(`${lang}.json`)).sort(), lang).toEqual(storefront);
      expect(keysOf(read(`${lang}.schema.json`)).sort(), lang).toEqual(schema);
    }
  });
});

describe("Flow trigger extensions", () => {
  it.each([
    ["segment-entered", "Customer entered segment"],
    ["segment-left", "Customer left segment"],
  ])("%s carries the customer reference, segment key and segment name", (dir, name) => {
    const toml = parseToml(readFileSync(path.join(ROOT, "extensions", dir, "shopify.extension.toml"), "utf8")) as {
      extensions: { name: string; type: string; handle: string }[];
      settings: { fields: { type: string; key?: string }[] };
    };
    const [ext] = toml.extensions;
    expect(ext).toMatchObject({ name, type: "flow_trigger", handle: dir });
    expect(ext.handle.length).toBeLessThanOrEqual(30);
    expect(ext.handle).toMatch(/^[a-z0-9-]+$/);
    expect(toml.settings.fields).toEqual([
      { type: "customer_reference" },
      expect.objectContaining({ type: "single_line_text_field", key: "Segment key" }),
      expect.objectContaining({ type: "single_line_text_field", key: "Segment name" }),
    ]);
  });
});

describe("shopify app build", () => {
  it("builds every extension offline with the repository's shopify.app.toml", async () => {
    const cli = path.join(ROOT, "node_modules/@shopify/cli/bin/run.js");
    // Exits non-zero on an invalid extension (e.g. a bad Flow field); Liquid is covered by theme check above.
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [cli, "app", "build", "--path", ROOT, "--skip-dependencies-installation"],
      { cwd: ROOT, env: { ...process.env, SHOPIFY_CLI_NO_ANALYTICS: "1", CI: "1", NO_COLOR: "1" }, timeout: 120_000 },
    );
    expect(`${stdout}${stderr}`).toContain("Segment Sync built!");
    expect(stdout).toContain("Bundling theme extension segment-offers");
    expect(stdout).toContain("browsing-pixel successfully built");
  });
});
