// authenticate.webhook for the routes that act at once (app/uninstalled, app/scopes_update): the
// library parses the body as JSON after the HMAC check and throws a SyntaxError on a signed body
// that is not JSON, which Remix would answer with a 500. Here that is a 400 with a reason.
import { authenticate } from "../shopify.server";

export async function authenticateWebhook(request: Request) {
  try {
    return await authenticate.webhook(request);
  } catch (error) {
    if (error instanceof SyntaxError) return new Response("The webhook body is not JSON.", { status: 400 });
    throw error;
  }
}
