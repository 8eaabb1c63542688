import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import path from "node:path";

type RouteModule = {
  action?: (args: { request: Request; params: Record<string, string>; context: unknown }) => Promise<unknown>;
  loader?: (args: { request: Request; params: Record<string, string>; context: unknown }) => Promise<unknown>;
};

export interface RouteServer {
  url: string;
  stop(): Promise<void>;
}

const routesDir = path.resolve(import.meta.dirname, "../../app/routes");

/** `/webhooks/orders/create` -> app/routes/webhooks.orders.create.tsx (Remix flat routes). */
export function routeFileFor(pathname: string): string | null {
  const base = pathname.replace(/^\/+|\/+$/g, "").split("/").join(".");
  for (const candidate of [`${base}.tsx`, `${base}.ts`, `${base}/route.tsx`]) {
    const file = path.join(routesDir, candidate);
    if (existsSync(file)) return file;
  }
  return null;
}

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? Buffer.concat(chunks) : undefined,
  });
}

/**
 * Serves the app's own route modules (source, not a build) over HTTP, so the twin can deliver
 * webhooks to the real route code: POST runs the module's action, GET its loader.
 */
// Resolved once per file: a dynamic import per request costs the loader hooks' resolution each time.
const routeModules = new Map<string, Promise<RouteModule>>();
function loadRoute(file: string): Promise<RouteModule> {
  let mod = routeModules.get(file);
  if (!mod) {
    mod = import(file) as Promise<RouteModule>;
    routeModules.set(file, mod);
  }
  return mod;
}

export async function startRouteServer(port = 0): Promise<RouteServer> {
  let origin = "";
  const server: Server = createServer(async (req, res) => {
    try {
      const request = await toRequest(req, origin);
      const file = routeFileFor(new URL(request.url).pathname);
      if (!file) {
        res.writeHead(404).end("no route");
        return;
      }
      const mod = await loadRoute(file);
      const handler = request.method === "GET" ? mod.loader : mod.action;
      if (!handler) {
        res.writeHead(405).end();
        return;
      }
      let result: unknown;
      try {
        result = await handler({ request, params: {}, context: {} });
      } catch (thrown) {
        if (!(thrown instanceof Response)) throw thrown;
        result = thrown;
      }
      const response = result instanceof Response ? result : Response.json(result ?? null);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
