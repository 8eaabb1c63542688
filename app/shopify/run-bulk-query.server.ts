import { adminFor, AdminApiError } from "./admin-client.server";

const RUN_BULK_QUERY = `#graphql
  mutation RunBulkQuery($query: String!, $groupObjects: Boolean!) {
    bulkOperationRunQuery(query: $query, groupObjects: $groupObjects) {
      bulkOperation { id status }
      userErrors { field message }
    }
  }
`;

/**
 * Starts a bulk query; returns the operation's gid. `groupObjects`: nested objects are written
 * right after their parent (ungrouped, the default since API version 2026-01, promises no order).
 */
export async function runBulkQuery(shop: string, query: string, options: { groupObjects?: boolean } = {}): Promise<string> {
  const data = await adminFor(shop).request<{
    bulkOperationRunQuery: { bulkOperation: { id: string; status: string } | null; userErrors: { message: string }[] };
  }>(RUN_BULK_QUERY, { query, groupObjects: options.groupObjects ?? false });
  const result = data.bulkOperationRunQuery;
  if (!result.bulkOperation) {
    const message = result.userErrors.map((e) => e.message).join("; ") || "no bulk operation returned";
    // Usually "a bulk query is already in progress": worth trying again later.
    throw new AdminApiError(`bulkOperationRunQuery refused for ${shop}: ${message}`, { retryable: true });
  }
  return result.bulkOperation.id;
}
