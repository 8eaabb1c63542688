// `npm run bench`: runs every benchmark under bench/ in turn (each bounded in time and count, on
// loopback only); each rewrites its figures in bench/results.json and BENCHMARKS.md.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";

const dir = import.meta.dirname;
const only = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
const started = Date.now();
for (const file of benches) {
  console.log(`\n== ${file}`);
  const t = Date.now();
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", path.join(dir, file)], { stdio: "inherit", env: { ...process.env, TZ: "UTC" } });
  console.log(`   (${((Date.now() - t) / 1000).toFixed(1)} s, exit ${r.status})`);
  if (r.status !== 0) failed++;
}
console.log(`\n${benches.length - failed} benchmarks ran, ${failed} failed, in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
process.exit(failed ? 1 : 0);
