// A private embedded PostgreSQL as its own process (see chaos-postgres.ts): the environment names
// its port and directory. Prints "ready <url>"; SIGTERM stops the server (fast shutdown) and exits.
delete process.env.DATABASE_URL;
const { ensurePostgres } = await import("../../scripts/postgres.ts");
const server = await ensurePostgres({ quiet: true });
if (!server.startedHere) {
  console.error(`[chaos-postgres] a server already answers on port ${process.env.EMBEDDED_PG_PORT}: not ours, not used`);
  process.exit(3);
}
console.log(`ready ${server.url}`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// The parent holds our stdin: when it dies without stopping us, the server stops too.
process.stdin.on("end", stop);
process.stdin.resume();
// Stay up until told to stop.
setInterval(() => {}, 1 << 30);
export {};
