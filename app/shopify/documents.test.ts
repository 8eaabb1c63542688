import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAndValidate } from "../../twin/index.ts";

// Every Admin document of the adapter, validated against Shopify's real 2026-10 schema.
const dir = import.meta.dirname;
const documents = readdirSync(dir)
  .filter((f) => f.endsWith(".server.ts"))
  .flatMap((f) => [...readFileSync(path.join(dir, f), "utf8").matchAll(/`#graphql([\s\S]*?)`/g)].map((m) => [f, m[1]] as const));

describe("Admin GraphQL documents of app/shopify", () => {
  it("finds the sync operations' documents", () => {
    expect(documents.length).toBeGreaterThanOrEqual(5);
  });
  it.each(documents)("%s: validates against the 2026-10 schema", (_file, document) => {
    const result = parseAndValidate(document);
    expect(result.errors ?? []).toEqual([]);
  });
});
