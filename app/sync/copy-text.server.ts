// PostgreSQL COPY text format: one row per line, tab-separated, \N for null.
export type CopyValue = string | number | bigint | boolean | Date | null | undefined | string[];

function escapeText(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}

export function copyRow(values: CopyValue[]): string {
  return `${values
    .map((v) => {
      if (v === null || v === undefined) return "\\N";
      if (v instanceof Date) return v.toISOString();
      if (Array.isArray(v)) return escapeText(arrayLiteral(v));
      if (typeof v === "boolean") return v ? "t" : "f";
      return escapeText(String(v));
    })
    .join("\t")}\n`;
}
