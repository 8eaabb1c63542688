import { adminFor, AdminApiError } from "./admin-client.server";

const RUN_BULK_QUERY = `#graphql
  mutation RunBulkQuery($query: String!) {
    bulkOperationRunQuery(query: $query) {
      bulkOperation { id status }
      userErrors { field message }
    }
  }
`;

/** Starts a bulk query; returns the operation's gid. */
export async function runBulkQuery(shop: string, query: string): Promise<string> {
  const data = await adminFor(shop).request<{
    bulkOperationRunQuery: { bulkOperation: { id: string; status: string } | null; userErrors: { message: string }[] };
  }>(RUN_BULK_QUERY, { query });
  const result = data.bulkOperationRunQuery;
  if (!result.bulkOperation) {
    const message = result.userErrors.map((e) => e.message).join("; ") || "no bulk operation returned";
    // Usually "a bulk query is already in progress": worth trying again later.
    throw new AdminApiError(`bulkOperationRunQuery refused for ${shop}: ${message}`, { retryable: true });
  }
  return result.bulkOperation.id;
}
