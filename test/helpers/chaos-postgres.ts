// A private PostgreSQL for the restart scenario: tests share one embedded server across parallel
// files, so the scenario that restarts PostgreSQL starts its own (scripts/postgres.ts, in a child
// process with its own port and data directory) and restarts only that one.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  /** Connection string of the server's `postgres` database. */
  url: string;
  urlFor(database: string): string;
  port: number;
  /** Stops the server (fast shutdown), waits `downMs`, starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function startProcess(port: number, dir: string): Promise<{ child: ChildProcess; url: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, EMBEDDED_PG_PORT: String(port), EMBEDDED_PG_DIR: dir, EMBEDDED_PG_SHARED_BUFFERS: "128MB" };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "test/helpers/chaos-postgres-main.ts")], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-5000);
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once("exit", (code) => reject(new Error(`private PostgreSQL exited with ${code} before it was ready:\n${err}`)));
  });
}

async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** Starts a private embedded PostgreSQL in `dir` on a free port. */
export async function startPrivatePostgres(dir: string): Promise<PrivatePostgres> {
  const port = await freePort();
  let current = await startProcess(port, dir);
  const url = current.url;
  const urlFor = (database: string) => {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
  };
  return {
    url,
    urlFor,
    port,
    async restart(downMs = 1000) {
      await stopProcess(current.child);
      await new Promise((r) => setTimeout(r, downMs));
      current = await startProcess(port, dir);
    },
    async stop() {
      await stopProcess(current.child);
    },
  };
}
