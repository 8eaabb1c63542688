import type { AdminClient } from "./admin-client.server";

export const WEB_PIXEL_CREATE = `#graphql
  mutation WebPixelCreate($webPixel: WebPixelInput!) {
    webPixelCreate(webPixel: $webPixel) {
      userErrors { code field message }
      webPixel { id settings }
    }
  }
`;

export const WEB_PIXEL_UPDATE = `#graphql
  mutation WebPixelUpdate($id: ID!, $webPixel: WebPixelInput!) {
    webPixelUpdate(id: $id, webPixel: $webPixel) {
      userErrors { code field message }
      webPixel { id settings }
    }
  }
`;

export const WEB_PIXEL = `#graphql
  query WebPixel {
    webPixel { id settings }
  }
`;

interface PixelPayload {
  userErrors: { code: string | null; field: string[] | null; message: string }[];
  webPixel: { id: string; settings: string } | null;
}

export class WebPixelError extends Error {
  override name = "WebPixelError";
}

/**
 * Activates the app's web pixel (extensions/browsing-pixel) with `settings`, or updates the
 * settings of the one already there (a reinstall, a new app URL). Returns the pixel's id.
 */
export async function activateWebPixel(admin: AdminClient, settings: Record<string, string>): Promise<string> {
  const webPixel = { settings: JSON.stringify(settings) };
  const created = (await admin.request<{ webPixelCreate: PixelPayload }>(WEB_PIXEL_CREATE, { webPixel })).webPixelCreate;
  if (created.webPixel) return created.webPixel.id;
  if (!created.userErrors.some((e) => e.code === "TAKEN")) throw new WebPixelError(describe(created.userErrors));
  const existing = await admin.request<{ webPixel: { id: string; settings: string } }>(WEB_PIXEL);
  if (existing.webPixel.settings === webPixel.settings) return existing.webPixel.id;
  const updated = (await admin.request<{ webPixelUpdate: PixelPayload }>(WEB_PIXEL_UPDATE, { id: existing.webPixel.id, webPixel })).webPixelUpdate;
  if (!updated.webPixel) throw new WebPixelError(describe(updated.userErrors));
  return updated.webPixel.id;
}

function describe(errors: PixelPayload["userErrors"]) {
  return `The web pixel could not be activated: ${errors.map((e) => `${e.code ?? "ERROR"} ${e.message}`).join("; ") || "no reason given"}`;
}
