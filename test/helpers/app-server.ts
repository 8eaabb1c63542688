import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";

export interface AppServer {
  url: string;
  stop(): Promise<void>;
}

const root = path.resolve(import.meta.dirname, "../..");
const serverBuild = path.join(root, "build/server/index.js");
const clientDir = path.join(root, "build/client");

const CONTENT_TYPES: Record<string, string> = {
  ".js": "application/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

function staticFile(pathname: string): string | null {
  const file = path.join(clientDir, decodeURIComponent(pathname));
  if (!file.startsWith(clientDir + path.sep)) return null;
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === "string") headers.set(k, v);
    else if (Array.isArray(v)) for (const item of v) headers.append(k, item);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? new Uint8Array(Buffer.concat(chunks)) : undefined,
  });
}

/**
 * Serves the BUILT app (`npx remix vite:build` output: build/server/index.js through Remix's
 * request handler, plus the static files of build/client) on a free loopback port, in this process.
 * `env` is applied to process.env before the build is imported; SHOPIFY_APP_URL defaults to the
 * server's own URL.
 */
export async function startAppServer(options: { env?: Record<string, string>; port?: number } = {}): Promise<AppServer> {
  if (!existsSync(serverBuild)) {
    throw new Error("build/server/index.js is missing: run `npx remix vite:build` first (npm test does).");
  }
  let handler: ((request: Request) => Promise<Response>) | null = null;
  let origin = "";
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", origin);
      const file = req.method === "GET" ? staticFile(url.pathname) : null;
      if (file) {
        res.writeHead(200, {
          "Content-Type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream",
          "Cache-Control": url.pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
        });
        res.end(readFileSync(file));
        return;
      }
      const response = await handler!(await toRequest(req, origin));
      const headers: Record<string, string | string[]> = {};
      response.headers.forEach((value, key) => {
        if (key === "set-cookie") return;
        headers[key] = value;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length) headers["set-cookie"] = cookies;
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(String(error instanceof Error ? error.stack : error));
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const [key, value] of Object.entries({ SHOPIFY_APP_URL: origin, ...options.env })) process.env[key] = value;
  const build = (await import(/* @vite-ignore */ pathToFileURL(serverBuild).href)) as ServerBuild;
  handler = createRequestHandler(build, "production");
  return {
    url: origin,
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
