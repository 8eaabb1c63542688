// `npm run db -- migrate|psql|reset`: the project's database, embedded unless DATABASE_URL is set.
import { spawnSync } from "node:child_process";
import { ensurePostgres, dropDatabase } from "./postgres.ts";
import { migrate, APP_DATABASE } from "./migrate.ts";

const command = process.argv[2] ?? "migrate";
const server = await ensurePostgres();
try {
  switch (command) {
    case "migrate": {
      const url = await migrate(server, APP_DATABASE);
      console.log(`Migrated ${url}`);
      break;
    }
    case "reset": {
      if (process.env.DATABASE_URL) throw new Error("reset only works on the embedded database");
      await dropDatabase(server.url, APP_DATABASE);
      console.log(`Migrated ${await migrate(server, APP_DATABASE)} from empty`);
      break;
    }
    case "psql": {
      const url = process.env.DATABASE_URL ?? server.urlFor(APP_DATABASE);
      spawnSync("psql", [url, ...process.argv.slice(3)], { stdio: "inherit" });
      break;
    }
    default:
      console.error(`Unknown command "${command}". Use migrate, reset or psql.`);
      process.exitCode = 2;
  }
} finally {
  await server.stop();
}
