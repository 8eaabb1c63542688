// `npm run bench`: runs every benchmark under bench/ in turn (each bounded in time and count, on
// loopback only); each rewrites its figures in bench/results.json and BENCHMARKS.md.
//
// The whole run has a time budget (default 14 min, so `npm run bench` ends within 15): each
// benchmark may use what is left of it, at most BENCH_MAX_MINUTES_EACH (default 6); one that runs
// over is stopped (SIGTERM, then SIGKILL) and counted as failed, and one that cannot start within
// the budget is skipped. The 1 M-customer engine shop (~30 min on a 2-core machine) runs only
// with `--full` (then the budget is 75 min); its figures stay in BENCHMARKS.md with their date.
//
//   npm run bench                      every benchmark, engine at 100 k customers
//   npm run bench -- --full            also the 1 M-customer engine shop
//   npm run bench -- sync engine       only the benchmarks whose file name contains these
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { ensurePostgres } from "../scripts/postgres.ts";

const dir = import.meta.dirname;
const args = process.argv.slice(2);
const full = args.includes("--full");
const only = args.filter((a) => !a.startsWith("--"));
const budgetMs = Number(process.env.BENCH_BUDGET_MINUTES ?? (full ? 75 : 14)) * 60_000;
const eachMs = Number(process.env.BENCH_MAX_MINUTES_EACH ?? (full ? 45 : 6)) * 60_000;
const GRACE_MS = 15_000;

const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

// Scale knobs the standard run sets (a value given in the environment wins).
const env: NodeJS.ProcessEnv = { ...process.env, TZ: "UTC" };
env.BENCH_ENGINE_SIZES ??= full ? "100000,1000000" : "100000";

// One PostgreSQL for every benchmark (each would otherwise start and stop its own).
const server = await ensurePostgres({ quiet: true });

function runOne(file: string, timeoutMs: number): Promise<{ code: number | null; overBudget: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(dir, file)], { stdio: "inherit", env });
    let overBudget = false;
    const term = setTimeout(() => {
      overBudget = true;
      console.log(`   ${file} is over its budget of ${(timeoutMs / 60_000).toFixed(1)} min: stopping it`);
      child.kill("SIGTERM");
    }, timeoutMs);
    const kill = setTimeout(() => child.kill("SIGKILL"), timeoutMs + GRACE_MS);
    child.on("exit", (code) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code, overBudget });
    });
  });
}

const started = Date.now();
const outcome: { file: string; seconds: number | null; status: string }[] = [];
let stop = false;
process.on("SIGINT", () => {
  stop = true;
});
for (const file of benches) {
  const left = budgetMs - (Date.now() - started);
  if (stop || left < 60_000) {
    outcome.push({ file, seconds: null, status: stop ? "skipped (interrupted)" : "skipped (budget spent)" });
    continue;
  }
  console.log(`\n== ${file}`);
  const t = Date.now();
  const { code, overBudget } = await runOne(file, Math.min(eachMs, left - GRACE_MS));
  const seconds = (Date.now() - t) / 1000;
  const status = overBudget ? "stopped: over budget" : code === 0 ? "ok" : `failed (exit ${code})`;
  console.log(`   (${seconds.toFixed(1)} s, ${status})`);
  outcome.push({ file, seconds, status });
}
await server.stop();

const total = (Date.now() - started) / 1000;
console.log(`\n${"benchmark".padEnd(22)} ${"seconds".padStart(8)}  result`);
for (const o of outcome) console.log(`${o.file.padEnd(22)} ${(o.seconds === null ? "-" : o.seconds.toFixed(0)).padStart(8)}  ${o.status}`);
const bad = outcome.filter((o) => o.status !== "ok").length;
console.log(`\n${outcome.length - bad} of ${outcome.length} benchmarks ran to the end in ${total.toFixed(0)} s (budget ${(budgetMs / 60_000).toFixed(0)} min).`);
process.exit(bad ? 1 : 0);
