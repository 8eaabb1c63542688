// `npm run worker` as a child process of a test: the same entry (app/jobs/worker-main.server.ts),
// its own environment, stopped with SIGTERM (graceful) or SIGKILL.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  /** What the process wrote to stderr (for a failing test's message). */
  stderr(): string;
  /** Resolves once the worker printed that it started. */
  started: Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startWorkerProcess(name: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "app/jobs/worker-main.server.ts")], {
    cwd: ROOT,
    // PGAPPNAME names the process's own PostgreSQL connections (node-postgres reads it), so the
    // test can see which worker runs which statement.
    env: { ...process.env, ...env, PGAPPNAME: name },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  const started = new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("[worker] started")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker ${name} exited with ${code} before starting:\n${err}`)));
  });
  started.catch(() => {});
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    name,
    child,
    stderr: () => err,
    started,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
