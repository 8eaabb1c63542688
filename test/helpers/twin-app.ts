// The twin delivering webhooks to the app's route modules, for one test file: started before its
// tests, every Admin API call of the app routed to it, and everything stopped after (the queue and
// the pools the app's code opened included).
import { afterAll, beforeAll } from "vitest";
import { startTwin, type Twin, type TwinOptions } from "../../twin/index.ts";
import { startRouteServer, type RouteServer } from "./route-server.ts";
import { routeShopifyTrafficTo } from "../../app/shopify-fetch.server";
import { adminFor } from "../../app/shopify/admin-client.server";
import { stopBoss } from "../../app/jobs/queue.server";
import { closeSyncPool } from "../../app/sync/pg.server";
import { closeEnginePool } from "../../app/segments/pool.server";
import { closeBrowsingPool } from "../../app/browsing/pool.server";

export interface TwinApp {
  twin: Twin;
  routes: RouteServer;
}

/** Registers the file's beforeAll/afterAll; the returned object is filled before the first test. */
export function startTwinAppForFile(options: Omit<TwinOptions, "appUrl"> = {}): TwinApp {
  const app = {} as TwinApp;
  beforeAll(async () => {
    app.routes = await startRouteServer();
    app.twin = await startTwin({ appUrl: app.routes.url, bulkStepDelayMs: 5, timeScale: 0.0001, ...options });
    void adminFor; // the Shopify modules are loaded before their traffic is routed to the twin
    routeShopifyTrafficTo(app.twin.url);
  });
  afterAll(async () => {
    await stopBoss({ graceful: false });
    await closeSyncPool();
    await closeEnginePool();
    await closeBrowsingPool();
    await app.twin?.stop();
    await app.routes?.stop();
  });
  return app;
}

/** The twin alone (no webhook deliveries to the app), with the app's Admin API calls routed to it. */
export function startTwinForFile(options: TwinOptions = {}): { twin: Twin } {
  const app = {} as { twin: Twin };
  beforeAll(async () => {
    app.twin = await startTwin({ timeScale: 0.0001, ...options });
    void adminFor;
    routeShopifyTrafficTo(app.twin.url);
  });
  afterAll(async () => {
    await stopBoss({ graceful: false });
    await app.twin?.stop();
  });
  return app;
}
