// The web pixel's ingest endpoint (extensions/browsing-pixel): POST a batch, 202 when stored.
// The pixel sends text/plain (a CORS "simple" request: no preflight from the storefront sandbox).
import type { ActionFunctionArgs } from "@remix-run/node";
import { receivePixelBatch } from "../browsing/receive.server";

export const action = async ({ request }: ActionFunctionArgs) => receivePixelBatch(request);

export const loader = async () => new Response(null, { status: 405, headers: { Allow: "POST" } });
