// The one place benchmarks write their figures: bench/results.json (machine-readable, one entry per
// figure) and BENCHMARKS.md (the same figures for people, with the machine and date).
import { execSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");
const RESULTS = path.join(root, "bench/results.json");
const REPORT = path.join(root, "BENCHMARKS.md");

export interface Figure {
  key: string;
  value: number;
  unit: string;
  /** e.g. "< 50", ">= 20000", or "" when the figure is for the record. */
  target: string;
  /** One line on how it was measured. */
  note?: string;
}

export interface StoredFigure {
  value: number;
  unit: string;
  target: string;
  measured_at: string;
  commit: string;
  note?: string;
  group?: string;
}

function currentCommit(): string {
  try {
    const sha = execSync("git rev-parse --short HEAD", { cwd: root, encoding: "utf8" }).trim();
    // The figures files themselves do not count: the first bench of a run writes them before the next measures.
    const dirty = execSync("git status --porcelain -- . ':!bench/results.json' ':!BENCHMARKS.md'", { cwd: root, encoding: "utf8" }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return "unknown";
  }
}

export function readResults(): Record<string, StoredFigure> {
  return existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : {};
}

/** True when the value meets its target ("< 50", "<= 0.1", ">= 20000", "> 0"). */
export function meetsTarget(value: number, target: string): boolean | null {
  const m = /^\s*(<=|>=|<|>|=)\s*([\d.]+)/.exec(target);
  if (!m) return null;
  const t = Number(m[2]);
  switch (m[1]) {
    case "<": return value < t;
    case "<=": return value <= t;
    case ">": return value > t;
    case ">=": return value >= t;
    default: return value === t;
  }
}

/** Merges figures into bench/results.json and rewrites BENCHMARKS.md. */
export function recordFigures(group: string, figures: Figure[]) {
  const results = readResults();
  const measuredAt = new Date().toISOString();
  const commit = currentCommit();
  for (const f of figures) {
    results[f.key] = {
      // Three decimals, or four significant digits for a small ratio (0.0004 must not read 0).
      value: Number.isInteger(f.value) ? f.value : Math.abs(f.value) >= 1 || f.value === 0 ? Number(f.value.toFixed(3)) : Number(f.value.toPrecision(4)),
      unit: f.unit,
      target: f.target,
      measured_at: measuredAt,
      commit,
      ...(f.note ? { note: f.note } : {}),
      group,
    };
  }
  const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(RESULTS, `${JSON.stringify(sorted, null, 2)}\n`);
  writeFileSync(REPORT, renderReport(sorted));
  for (const f of figures) {
    const ok = meetsTarget(f.value, f.target);
    const mark = ok === null ? " " : ok ? "✓" : "✗";
    console.log(`${mark} ${f.key.padEnd(34)} ${String(results[f.key].value).padStart(12)} ${f.unit.padEnd(10)} target ${f.target || "-"}`);
  }
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

function renderReport(results: Record<string, StoredFigure>): string {
  const groups = new Map<string, [string, StoredFigure][]>();
  for (const entry of Object.entries(results)) {
    const g = entry[1].group ?? "other";
    groups.set(g, [...(groups.get(g) ?? []), entry]);
  }
  const lines = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (or one benchmark under `bench/`); do not edit by hand.",
    "The same figures are in `bench/results.json`.",
    "",
    `- Machine: ${machine()}`,
    `- Last written: ${new Date().toISOString()} at commit ${currentCommit()}`,
    "",
  ];
  for (const [group, entries] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`## ${group}`, "", "| figure | value | unit | target | met | measured | commit | how |", "|---|---:|---|---|---|---|---|---|");
    for (const [key, f] of entries) {
      const ok = meetsTarget(f.value, f.target);
      lines.push(
        `| \`${key}\` | ${f.value} | ${f.unit} | ${f.target || "—"} | ${ok === null ? "—" : ok ? "yes" : "**no**"} | ${f.measured_at.slice(0, 16).replace("T", " ")} | ${f.commit} | ${f.note ?? ""} |`,
      );
    }
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

/** Percentile of a sample (nearest-rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Samples this process's RSS every `everyMs` and reports the peak. */
export function trackPeakRss(everyMs = 50) {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  timer.unref();
  return {
    stop(): number {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak / 2 ** 20;
    },
  };
}
