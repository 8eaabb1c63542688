import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, IndexTable, Layout, Link, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin/context.server";
import { listCompliance } from "../admin/privacy.server";
import { useFormat, useT } from "../components/i18n";
import { RouteErrorPage } from "../components/route-error";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  return { requests: await listCompliance(shop) };
};

export default function Privacy() {
  const { requests } = useLoaderData<typeof loader>();
  const t = useT();
  const fmt = useFormat();
  return (
    <Page title={t("privacy.title")} backAction={{ content: t("nav.overview"), url: "/app" }}>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">{t("privacy.whatWeKeep")}</Text>
              <Text as="p">{t("privacy.whatWeKeepBody")}</Text>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            <div style={{ padding: "16px 16px 8px" }}>
              <Text as="h2" variant="headingMd">{t("privacy.requests")}</Text>
            </div>
            <IndexTable
              resourceName={{ singular: t("privacy.request"), plural: t("privacy.requests") }}
              itemCount={requests.length}
              selectable={false}
              emptyState={
                <div style={{ padding: 16 }}>
                  <Text as="p" tone="subdued">{t("privacy.empty")}</Text>
                </div>
              }
              headings={[
                { title: t("privacy.col.type") },
                { title: t("privacy.col.customer") },
                { title: t("privacy.col.received") },
                { title: t("privacy.col.completed") },
                { title: t("privacy.col.status") },
                { title: t("privacy.col.rows"), alignment: "end" },
              ]}
            >
              {requests.map((r, i) => (
                <IndexTable.Row id={r.id} key={r.id} position={i}>
                  <IndexTable.Cell>
                    {t(`privacy.topic.${r.topic}`)}
                    {r.exportId && (
                      <>
                        {" "}
                        <Link url={`/app/privacy/export/${r.exportId}`} target="_blank">{t("privacy.download")}</Link>
                      </>
                    )}
                  </IndexTable.Cell>
                  <IndexTable.Cell>{r.customerId ?? "–"}</IndexTable.Cell>
                  <IndexTable.Cell>{fmt.dateTime(r.receivedAt)}</IndexTable.Cell>
                  <IndexTable.Cell>{r.completedAt ? fmt.dateTime(r.completedAt) : "–"}</IndexTable.Cell>
                  <IndexTable.Cell>
                    <Badge tone={r.status === "completed" ? "success" : r.status === "failed" ? "critical" : "attention"}>{t(`privacy.status.${r.status}`)}</Badge>
                  </IndexTable.Cell>
                  <IndexTable.Cell><Text as="span" alignment="end" numeric>{fmt.number(r.rowsAffected)}</Text></IndexTable.Cell>
                </IndexTable.Row>
              ))}
            </IndexTable>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteErrorPage titleKey="privacy.title" />;
}
