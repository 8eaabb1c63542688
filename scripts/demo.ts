// `npm run demo` (see scripts/demo/run.ts and docs/decisions/0008-demo.md).
import { DEMO_USAGE, parseDemoArgs } from "./demo/options.ts";
import { stopAll, takeOverSignals } from "./demo/stack.ts";
import { CheckFailed, runDemo } from "./demo/run.ts";

const parsed = parseDemoArgs(process.argv.slice(2), Boolean(process.stdout.isTTY));
if ("help" in parsed) {
  console.log(DEMO_USAGE);
  process.exit(0);
}
if ("error" in parsed) {
  console.error(`${parsed.error}\n\n${DEMO_USAGE}`);
  process.exit(2);
}

// The Shopify libraries log every request at INFO; the demo shows its own story (warnings stay).
for (const method of ["log", "info"] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    if (typeof args[0] === "string" && /^\[shopify-(api|app)\/INFO\]/.test(args[0])) return;
    original(...args);
  };
}

takeOverSignals();
const stop = new AbortController();
let signals = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    signals++;
    if (signals > 1) {
      console.error("\nStopping at once.");
      process.exit(130);
    }
    process.stdout.write("\nStopping (Ctrl-C again to quit at once)...\n");
    stopping = true;
    stop.abort();
  });
}

// Once stopping, requests and jobs still in flight lose their connections: expected, not news.
let stopping = false;
const EXPECTED_WHILE_STOPPING = /terminating connection|Connection terminated|Client was closed|pool after calling end|ECONNREFUSED/;
for (const method of ["error", "warn"] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    if (stopping && args.some((a) => EXPECTED_WHILE_STOPPING.test(a instanceof Error ? a.message : String(a)))) return;
    original(...args);
  };
}

let code = 0;
try {
  const result = await runDemo(parsed, stop.signal);
  if (stop.signal.aborted) process.stdout.write(result.reachedLive ? "Stopped during the live replay.\n" : "Stopped.\n");
} catch (error) {
  code = 1;
  if (!(error instanceof CheckFailed)) {
    if (stop.signal.aborted) console.error(`Stopped (${(error as Error).message}).`);
    else console.error(`\nThe demo failed: ${(error as Error).stack ?? error}`);
  }
}
stopping = true;
const problems = await stopAll(stop.signal.aborted, (name, seconds) => process.stdout.write(`  stopped ${name} (${seconds.toFixed(1)} s)\n`));
if (problems.length) console.error(`While stopping: ${problems.join("; ")}`);
process.stdout.write("Everything the demo started is stopped.\n");
process.exit(stop.signal.aborted && code === 0 ? 0 : code);
