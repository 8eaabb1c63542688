// Every admin string exists in English, Spanish and Portuguese, and every key the admin's code
// names literally is defined.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allMessages } from "../i18n/i18n";

const app = path.resolve(import.meta.dirname, "..");
const sources = [
  ...readdirSync(path.join(app, "routes")).filter((f) => f.startsWith("app")).map((f) => path.join(app, "routes", f)),
  ...readdirSync(path.join(app, "components")).map((f) => path.join(app, "components", f)),
  ...readdirSync(path.join(app, "admin")).filter((f) => !f.includes(".test.")).map((f) => path.join(app, "admin", f)),
];

describe("admin strings", () => {
  it("the three languages have the same keys, none empty", () => {
    const { en, es, "pt-BR": pt } = allMessages();
    expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
    expect(Object.keys(pt).sort()).toEqual(Object.keys(en).sort());
    for (const table of [en, es, pt]) for (const [key, text] of Object.entries(table)) expect(text.trim(), key).not.toBe("");
  });

  it("every literal key in the admin's code is translated", () => {
    const { en } = allMessages();
    const used = new Set<string>();
    for (const file of sources) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bt\("([a-zA-Z0-9_.-]+)"/g)) used.add(m[1]);
      for (const m of text.matchAll(/"((?:settings|offers|sync|builder)\.error\.[a-zA-Z_]+)"/g)) used.add(m[1]);
    }
    expect([...used].filter((k) => !(k in en))).toEqual([]);
  });
});
