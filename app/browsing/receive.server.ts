// HTTP edge of the pixel ingest: reads at most MAX_BATCH_BYTES of the body, answers with CORS
// headers the storefront sandbox accepts, and schedules the browsing refresh of the shop.
import { ingestPixelBody } from "./ingest.server";
import { scheduleBrowsingRefresh } from "./scheduler.server";
import { MAX_BATCH_BYTES } from "./wire";

const CORS = { "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store" };

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...CORS, "Content-Type": "application/json", ...headers } });

async function readBounded(request: Request): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BATCH_BYTES) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BATCH_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function receivePixelBatch(request: Request): Promise<Response> {
  if (request.method === "OPTIONS") {
    return new Response(null, { status: 204, headers: { ...CORS, "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400" } });
  }
  if (request.method !== "POST") return answer(405, { error: "POST a batch." }, { Allow: "POST" });
  const body = await readBounded(request);
  if (body === null) return answer(413, { error: `The batch is larger than ${MAX_BATCH_BYTES} bytes.` });
  const result = await ingestPixelBody(body);
  if (result.status === 202 && result.shopId !== undefined && result.linked) scheduleBrowsingRefresh(result.shopId);
  return answer(result.status, result.body, result.headers);
}
