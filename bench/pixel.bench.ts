// Pixel ingest benchmark: batches of 10 events (what the pixel sends) POSTed to the real route
// module (app/routes/pixel.events.tsx) over loopback HTTP, from a load generator in its own
// process, 5,000 pixel clients round-robin.
// 1. pixel_ingest_events_per_s: closed loop, BENCH_PIXEL_CONCURRENCY requests in flight for
//    BENCH_PIXEL_SECONDS; events stored per second of wall time.
// 2. pixel_ingest_p99_ms: open loop at BENCH_PIXEL_RATE events/s (default 5,000, the throughput
//    target; half the measured throughput when that is lower) for BENCH_PIXEL_SECONDS; p99 of
//    request -> 202 answer.
import { performance } from "node:perf_hooks";

const SECONDS = Number(process.env.BENCH_PIXEL_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_PIXEL_CONCURRENCY ?? 32);
const RATE = Number(process.env.BENCH_PIXEL_RATE ?? 5000);
const BATCH = 10;
const CLIENTS = 5000;
const DOMAIN = "bench-pixel.myshopify.com";
const log = (msg: string) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${msg}`);

type Mode = "closed" | "open";

if (process.argv.includes("--load-child")) {
  const [target, token, mode] = process.argv.slice(process.argv.indexOf("--load-child") + 1) as [string, string, Mode];
  let seq = 0;
  const body = () => {
    const n = seq++;
    const now = Date.now();
    const clientId = `bench-${n % CLIENTS}`;
    const events = Array.from({ length: BATCH }, (_, k) => {
      const e: Record<string, unknown> = { id: `sh-${n}-${k}`, name: k % 3 === 1 ? "product_viewed" : "page_viewed", at: now - (BATCH - k) * 1000 };
      if (k % 3 === 1) Object.assign(e, { productId: String(100 + (n % 50)), variantId: String(900 + (n % 50)), rec: k % 2 === 0 });
      if (n % CLIENTS < CLIENTS / 2 && k === BATCH - 1) e.customerId = String(1_000_000 + (n % CLIENTS));
      return e;
    });
    return JSON.stringify({ v: 1, shop: DOMAIN, token, clientId, events });
  };
  const latencies: number[] = [];
  let failures = 0;
  const send = async () => {
    const payload = body();
    const t = performance.now();
    const res = await fetch(target, { method: "POST", body: payload, headers: { "Content-Type": "text/plain" } });
    await res.arrayBuffer();
    if (res.status !== 202) failures++;
    latencies.push(performance.now() - t);
  };
  const started = performance.now();
  const until = started + SECONDS * 1000;
  if (mode === "closed") {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) await send();
    }));
  } else {
    const perSecond = Number(process.env.BENCH_PIXEL_OPEN_RATE ?? RATE) / BATCH;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; ; i++) {
      const at = started + (i * 1000) / perSecond;
      if (at >= until) break;
      const wait = at - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(send());
    }
    await Promise.all(inFlight);
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ latencies, failures, seconds, requests: latencies.length })}\n`);
  process.exit(0);
}

async function main() {
  const { spawn } = await import("node:child_process");
  const { TEST_APP_ENV } = await import("../test/helpers/app-env.ts");
  for (const [k, v] of Object.entries(TEST_APP_ENV)) process.env[k] ??= v;
  process.env.NODE_ENV = "production";
  process.env.BROWSING_REFRESH_DELAY_MS = "-1"; // ingest only: the refresh is the engine's figure
  process.env.PIXEL_RATE_CAPACITY ??= "100000";
  const { createDatabase, dropDatabase, ensurePostgres } = await import("../scripts/postgres.ts");
  const { runPrisma } = await import("../scripts/migrate.ts");
  const { percentile, recordFigures } = await import("./lib/results.ts");
  const server = await ensurePostgres({ quiet: true });
  const database = "segsync_bench_pixel";
  await dropDatabase(server.url, database);
  await createDatabase(server.url, database);
  const url = server.urlFor(database);
  runPrisma(["migrate", "deploy"], url);
  process.env.DATABASE_URL = url;

  const pg = (await import("pg")).default;
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query("insert into shops (domain, install_state, installed_at) values ($1, 'installed', now())", [DOMAIN]);
  const { startRouteServer } = await import("../test/helpers/route-server.ts");
  const { pixelToken } = await import("../app/browsing/ingest.server.ts");
  const { closeBrowsingPool } = await import("../app/browsing/pool.server.ts");
  const routes = await startRouteServer();
  const os = await import("node:os");

  const run = async (mode: Mode, env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ["--import", "tsx", import.meta.filename, "--load-child", `${routes.url}/pixel/events`, pixelToken(DOMAIN), mode], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    await new Promise((r) => child.once("exit", r));
    return JSON.parse(out.trim().split("\n").at(-1) as string) as { latencies: number[]; failures: number; seconds: number; requests: number };
  };

  // Warm up (route module import, partition of the day, prepared statement).
  await run("open", { BENCH_PIXEL_SECONDS: "2", BENCH_PIXEL_OPEN_RATE: "1000" });
  await db.query("truncate pixel_events, browsing_clients, browsing_dirty");

  const load = os.loadavg()[0].toFixed(1);
  log(`closed loop: ${CONCURRENCY} requests of ${BATCH} events in flight for ${SECONDS} s`);
  const cpu0 = process.cpuUsage();
  const closed = await run("closed");
  const cpu = process.cpuUsage(cpu0);
  const serverCpuMsPerEvent = (cpu.user + cpu.system) / 1000 / Math.max(1, closed.requests * BATCH);
  const stored = Number((await db.query("select count(*) from pixel_events")).rows[0].count);
  const perSecond = stored / closed.seconds;
  log(`${closed.requests} requests, ${closed.failures} not 202, ${stored} events stored: ${perSecond.toFixed(0)} events/s, p99 ${percentile(closed.latencies, 99).toFixed(1)} ms; app process CPU ${((cpu.user + cpu.system) / 1e4 / closed.seconds).toFixed(0)} % of a core, ${(serverCpuMsPerEvent * 1000).toFixed(0)} us/event`);
  if (closed.failures) throw new Error(`${closed.failures} requests were not accepted`);

  // Latency at the target rate when the machine sustains it; otherwise at half of what it sustained
  // (a latency figure of a saturated queue measures the queue, not the endpoint). The note says which.
  const rate = Math.min(RATE, Math.floor(perSecond / 2 / BATCH) * BATCH);
  log(`open loop: ${rate} events/s (${rate / BATCH} requests/s) for ${SECONDS} s`);
  const open = await run("open", { BENCH_PIXEL_OPEN_RATE: String(rate) });
  const p99 = percentile(open.latencies, 99);
  log(`${open.requests} requests, ${open.failures} not 202: p50 ${percentile(open.latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
  if (open.failures) throw new Error(`${open.failures} requests were not accepted`);

  recordFigures("pixel", [
    {
      key: "pixel_ingest_events_per_s",
      value: Math.round(perSecond),
      unit: "events/s",
      target: ">= 5000",
      note: `POST /pixel/events over loopback (route module), batches of ${BATCH}, ${CONCURRENCY} in flight, ${CLIENTS} clients, load generator in its own process; ${SECONDS} s; app process ${(serverCpuMsPerEvent * 1000).toFixed(0)} us CPU/event; 1-min load average ${load} at start (2 cores shared with other work)`,
    },
    {
      key: "pixel_ingest_p99_ms",
      value: Number(p99.toFixed(1)),
      unit: "ms",
      target: "< 50",
      note: `request -> 202 (events committed), open loop at ${rate} events/s${rate < RATE ? ` (half the measured throughput: the ${RATE}/s target rate was not sustainable here)` : ""} in batches of ${BATCH} for ${SECONDS} s; p50 ${percentile(open.latencies, 50).toFixed(1)} ms`,
    },
  ]);
  await routes.stop();
  await closeBrowsingPool();
  await db.end();
  await dropDatabase(server.url, database);
  await server.stop();
}

await main();
process.exit(0);
