import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findDocuments, validateDocuments } from "../twin/documents.ts";

const appDir = path.resolve(import.meta.dirname, "../app");
const sampleDir = mkdtempSync(path.join(os.tmpdir(), "segsync-documents-"));
afterAll(() => rmSync(sampleDir, { recursive: true, force: true }));

describe("Admin GraphQL documents in app/", () => {
  it("finds #graphql literals and .graphql files, and tells good from bad", () => {
    // GIVEN one good and two bad documents, one through an interpolated constant
    writeFileSync(
      path.join(sampleDir, "good.server.ts"),
      "const FIELDS = `id tags`;\nexport const Q = `#graphql\n  query Customer($id: ID!) { customer(id: $id) { ${FIELDS} } }`;\n",
    );
    writeFileSync(path.join(sampleDir, "bad.server.ts"), "export const Q = `#graphql\n  query { customer(id: \"gid://shopify/Customer/1\") { id lifetimeSpend } }`;\n");
    writeFileSync(path.join(sampleDir, "bad-arg.graphql"), "query { customers(first: 1, segment: \"x\") { nodes { id } } }\n");
    writeFileSync(path.join(sampleDir, "not-a-document.ts"), "export const s = `select * from customers`;\n");
    // WHEN the scan runs
    const docs = findDocuments(sampleDir);
    const problems = validateDocuments(docs);
    // THEN it found the three documents and exactly the two bad ones fail, with Shopify's messages
    expect(docs).toHaveLength(3);
    expect(problems.map((p) => path.basename(p.file)).sort()).toEqual(["bad-arg.graphql", "bad.server.ts"]);
    expect(problems.flatMap((p) => p.errors.map((e) => e.message)).sort()).toEqual([
      "Field 'customers' doesn't accept argument 'segment'",
      "Field 'lifetimeSpend' doesn't exist on type 'Customer'",
    ]);
  });

  it("every document the app sends validates against Shopify's 2026-10 Admin schema", () => {
    const docs = findDocuments(appDir);
    const problems = validateDocuments(docs);
    const report = problems.map((p) => `${path.relative(appDir, p.file)}:${p.line}: ${p.errors.map((e) => e.message).join("; ")}`);
    expect(report).toEqual([]);
  });
});
