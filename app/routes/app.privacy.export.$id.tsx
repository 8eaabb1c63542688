import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireAdmin } from "../admin/context.server";
import { findDataExport } from "../admin/privacy.server";

/** A customers/data_request export of this shop, as a JSON download. */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const found = await findDataExport(shop, params.id ?? "");
  if (!found) throw new Response("Not found", { status: 404 });
  return new Response(JSON.stringify(found.data, null, 2), {
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="data-request-${found.subjectCustomerId}-${found.id}.json"`,
    },
  });
};
