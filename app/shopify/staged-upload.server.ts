import { AdminApiError, type AdminClient } from "./admin-client.server";

export const STAGED_UPLOADS_CREATE = `#graphql
  mutation PushStagedUpload($input: [StagedUploadInput!]!) {
    stagedUploadsCreate(input: $input) {
      stagedTargets { url resourceUrl parameters { name value } }
      userErrors { field message }
    }
  }
`;

/**
 * Stages a JSONL file of bulk mutation variables: stagedUploadsCreate (BULK_MUTATION_VARIABLES),
 * then the multipart POST to the target. Returns the `key` parameter, the stagedUploadPath.
 */
export async function stageBulkVariables(admin: AdminClient, filename: string, jsonl: string): Promise<string> {
  const data = await admin.request<{
    stagedUploadsCreate: {
      stagedTargets: { url: string; resourceUrl: string | null; parameters: { name: string; value: string }[] }[];
      userErrors: { message: string }[];
    };
  }>(STAGED_UPLOADS_CREATE, { input: [{ resource: "BULK_MUTATION_VARIABLES", filename, mimeType: "text/jsonl", httpMethod: "POST" }] });
  const target = data.stagedUploadsCreate.stagedTargets[0];
  if (!target) {
    throw new AdminApiError(`stagedUploadsCreate refused for ${admin.shop}: ${data.stagedUploadsCreate.userErrors.map((e) => e.message).join("; ")}`, {
      retryable: false,
    });
  }
  const form = new FormData();
  for (const p of target.parameters) form.append(p.name, p.value);
  form.append("file", new Blob([jsonl], { type: "text/jsonl" }), filename);
  let lastError = "";
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const response = await fetch(target.url, { method: "POST", body: form });
      if (response.ok) {
        const key = target.parameters.find((p) => p.name === "key")?.value;
        if (!key) throw new AdminApiError("staged upload target has no key parameter", { retryable: false });
        return key;
      }
      lastError = `HTTP ${response.status}`;
      if (response.status < 500) break;
    } catch (error) {
      if (error instanceof AdminApiError) throw error;
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
  throw new AdminApiError(`staged upload failed for ${admin.shop}: ${lastError}`, { retryable: true });
}
