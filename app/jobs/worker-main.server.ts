// `npm run worker`: the queue workers as their own process (production; several may run).
import { startWorkers, stopWorkers } from "./workers.server";
import { closeSyncPool } from "../sync/pg.server";

await startWorkers();
console.log(`[worker] started (pid ${process.pid})`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await stopWorkers({ graceful: true });
    await closeSyncPool();
    process.exit(0);
  });
}
