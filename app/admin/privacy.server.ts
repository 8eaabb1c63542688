// The privacy page: the compliance requests Shopify sent for this shop (data requests, customer and
// shop redactions) with their dates and outcome, and the data exports kept for the merchant.
import prisma from "../db.server";
import type { AdminShop } from "./context.server";

export interface ComplianceRow {
  id: string;
  topic: string;
  status: string;
  customerId: string | null;
  rowsAffected: number;
  receivedAt: string;
  completedAt: string | null;
  exportId: string | null;
}

export async function listCompliance(shop: AdminShop, limit = 200): Promise<ComplianceRow[]> {
  const [requests, exports] = await Promise.all([
    prisma.complianceRequest.findMany({
      where: { OR: [{ shopId: shop.id }, { shopDomain: shop.domain }] },
      orderBy: { receivedAt: "desc" },
      take: limit,
    }),
    prisma.dataExport.findMany({ where: { shopId: shop.id }, select: { id: true, complianceRequestId: true }, orderBy: { createdAt: "desc" }, take: limit }),
  ]);
  const exportOf = new Map(exports.map((e) => [String(e.complianceRequestId), String(e.id)]));
  return requests.map((r) => ({
    id: String(r.id),
    topic: r.topic,
    status: r.status,
    customerId: r.subjectCustomerId === null ? null : String(r.subjectCustomerId),
    rowsAffected: r.rowsAffected,
    receivedAt: r.receivedAt.toISOString(),
    completedAt: r.completedAt ? r.completedAt.toISOString() : null,
    exportId: exportOf.get(String(r.id)) ?? null,
  }));
}

/** One data export of this shop (JSON), or null. */
export async function findDataExport(shop: AdminShop, id: string) {
  // A row id is a bigint: anything longer or larger is no export of ours (and must not reach the query).
  if (!/^\d{1,19}$/.test(id) || BigInt(id) > 9223372036854775807n) return null;
  return prisma.dataExport.findFirst({ where: { id: BigInt(id), shopId: shop.id } });
}
