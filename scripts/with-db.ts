// Runs a command with DATABASE_URL pointing at a migrated database: the one given, or the
// embedded server (started here if needed, and stopped when the command ends).
import { spawn } from "node:child_process";
import { ensurePostgres } from "./postgres.ts";
import { migrate, APP_DATABASE } from "./migrate.ts";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: with-db <command> [args...]");
  process.exit(2);
}
const server = await ensurePostgres();
const url = await migrate(server, APP_DATABASE);
const child = spawn(command, args, {
  stdio: "inherit",
  env: { ...process.env, DATABASE_URL: url, PATH: `${process.cwd()}/node_modules/.bin:${process.env.PATH}` },
});
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
child.on("exit", async (code) => {
  await server.stop();
  process.exit(code ?? 1);
});
