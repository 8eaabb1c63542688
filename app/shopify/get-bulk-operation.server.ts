import { adminFor } from "./admin-client.server";

const GET_BULK_OPERATION = `#graphql
  query GetBulkOperation($id: ID!) {
    bulkOperation(id: $id) {
      id
      status
      errorCode
      objectCount
      rootObjectCount
      fileSize
      url
      partialDataUrl
      createdAt
      completedAt
    }
  }
`;

export interface BulkOperationState {
  id: string;
  /** CREATED | RUNNING | COMPLETED | CANCELING | CANCELED | FAILED | EXPIRED */
  status: string;
  errorCode: string | null;
  objectCount: number;
  rootObjectCount: number;
  url: string | null;
  partialDataUrl: string | null;
}

export async function getBulkOperation(shop: string, id: string): Promise<BulkOperationState | null> {
  const data = await adminFor(shop).request<{ bulkOperation: (Omit<BulkOperationState, "objectCount" | "rootObjectCount"> & { objectCount: string; rootObjectCount: string }) | null }>(
    GET_BULK_OPERATION,
    { id },
  );
  const op = data.bulkOperation;
  if (!op) return null;
  return { ...op, objectCount: Number(op.objectCount ?? 0), rootObjectCount: Number(op.rootObjectCount ?? 0) };
}
