import { AdminApiError, type AdminClient } from "./admin-client.server";

export const RUN_BULK_MUTATION = `#graphql
  mutation PushRunBulkMutation($mutation: String!, $stagedUploadPath: String!, $clientIdentifier: String) {
    bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath, clientIdentifier: $clientIdentifier) {
      bulkOperation { id status }
      userErrors { field message code }
    }
  }
`;

// The per-line mutations a bulk run executes (variables come from each JSONL line).
export const BULK_TAGS_ADD = `#graphql
  mutation BulkTagsAdd($id: ID!, $tags: [String!]!) {
    tagsAdd(id: $id, tags: $tags) {
      node { id }
      userErrors { field message }
    }
  }
`;

export const BULK_TAGS_REMOVE = `#graphql
  mutation BulkTagsRemove($id: ID!, $tags: [String!]!) {
    tagsRemove(id: $id, tags: $tags) {
      node { id }
      userErrors { field message }
    }
  }
`;

export const BULK_METAFIELDS_SET = `#graphql
  mutation BulkMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields { compareDigest owner { ... on Customer { id } } }
      userErrors { field message code elementIndex }
    }
  }
`;

/** Starts a bulk mutation over a staged JSONL upload; returns the operation's gid. */
export async function runBulkMutation(admin: AdminClient, mutation: string, stagedUploadPath: string, clientIdentifier?: string): Promise<string> {
  const data = await admin.request<{
    bulkOperationRunMutation: { bulkOperation: { id: string } | null; userErrors: { message: string; code: string | null }[] };
  }>(RUN_BULK_MUTATION, { mutation, stagedUploadPath, clientIdentifier: clientIdentifier ?? null });
  const result = data.bulkOperationRunMutation;
  if (!result.bulkOperation) {
    const limit = result.userErrors.some((e) => e.code === "LIMIT_REACHED");
    throw new AdminApiError(`bulkOperationRunMutation refused for ${admin.shop}: ${result.userErrors.map((e) => e.message).join("; ")}`, {
      code: result.userErrors[0]?.code ?? undefined,
      retryable: limit,
    });
  }
  return result.bulkOperation.id;
}
