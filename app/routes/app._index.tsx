import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, EmptyState, IndexTable, InlineGrid, InlineStack, Layout, Link, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin/context.server";
import { loadOverview } from "../admin/overview.server";
import { label, useFormat, useT } from "../components/i18n";
import { RfmGrid } from "../components/rfm-grid";
import { SizeChart } from "../components/size-chart";
import { RouteErrorPage } from "../components/route-error";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  return { shop: shop.domain, currency: shop.currency, overview: await loadOverview(shop) };
};

export default function Overview() {
  const { overview, shop } = useLoaderData<typeof loader>();
  const t = useT();
  const fmt = useFormat();
  const segments = overview.segments.filter((s) => s.enabled && s.kind !== "rfm");
  const rfm = overview.segments.filter((s) => s.kind === "rfm" && s.enabled);
  const empty = overview.customers === 0;
  const change = (n: number | null) =>
    n === null ? <Text as="span" tone="subdued">{t("overview.noHistory")}</Text> : <Text as="span" tone={n > 0 ? "success" : n < 0 ? "critical" : undefined}>{fmt.signed(n)}</Text>;

  return (
    <Page title={t("overview.title")} subtitle={shop} primaryAction={{ content: t("nav.newSegment"), url: "/app/segments/new" }}>
      <Layout>
        {empty && (
          <Layout.Section>
            <Card>
              <EmptyState
                heading={t("overview.empty.heading")}
                action={{ content: t("overview.empty.action"), url: "/app/sync" }}
                image="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
              >
                <p>{t("home.notSynced")}</p>
              </EmptyState>
            </Card>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card padding="0">
            <BlockStack>
              <div style={{ padding: "16px 16px 8px" }}>
                <Text as="h2" variant="headingMd" id="app-home-heading">{t("overview.segments.heading")}</Text>
                <Text as="p" tone="subdued">{t("overview.customers", { count: fmt.number(overview.customers) })}</Text>
              </div>
              <IndexTable
                resourceName={{ singular: t("overview.segment"), plural: t("overview.segments.heading") }}
                itemCount={segments.length}
                selectable={false}
                headings={[
                  { title: t("overview.col.segment") },
                  { title: t("overview.col.members"), alignment: "end" },
                  { title: t("overview.col.change7"), alignment: "end" },
                  { title: t("overview.col.change30"), alignment: "end" },
                  { title: t("overview.col.revenueShare"), alignment: "end" },
                ]}
                emptyState={<Text as="p" tone="subdued">{t("overview.segments.empty")}</Text>}
              >
                {segments.map((s, i) => (
                  <IndexTable.Row id={s.key} key={s.key} position={i}>
                    <IndexTable.Cell>
                      <InlineStack gap="200" blockAlign="center">
                        <Link url={`/app/segments/${s.key}`} removeUnderline>{label(t, `segment.${s.key}`, s.name)}</Link>
                        {s.kind === "custom" && <Badge>{t("overview.custom")}</Badge>}
                      </InlineStack>
                    </IndexTable.Cell>
                    <IndexTable.Cell><Text as="span" alignment="end" numeric>{fmt.number(s.size)}</Text></IndexTable.Cell>
                    <IndexTable.Cell><Text as="span" alignment="end" numeric>{change(s.change7d)}</Text></IndexTable.Cell>
                    <IndexTable.Cell><Text as="span" alignment="end" numeric>{change(s.change30d)}</Text></IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" alignment="end" numeric>{s.revenueShare === null ? "–" : fmt.percent(s.revenueShare)}</Text>
                    </IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">{t("overview.chart.heading")}</Text>
              {overview.series.length === 0 ? (
                <Text as="p" tone="subdued">{t("overview.chart.empty")}</Text>
              ) : (
                <SizeChart
                  label={t("overview.chart.heading")}
                  series={overview.series.map((s) => ({ name: label(t, `segment.${s.key}`, s.name), points: s.points.map((p) => ({ day: p.day, value: p.size })) }))}
                />
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">{t("overview.rfm.heading")}</Text>
                {overview.scored === 0 ? (
                  <Text as="p" tone="subdued">{t("overview.rfm.empty")}</Text>
                ) : (
                  <>
                    <RfmGrid cells={overview.rfmGrid} total={overview.scored} />
                    <Text as="p" variant="bodySm" tone="subdued">
                      {t("overview.rfm.unscored", { count: fmt.number(Math.max(0, overview.customers - overview.scored)) })}
                    </Text>
                    <BlockStack gap="100">
                      {overview.rfmGroups.map((g) => {
                        const seg = rfm.find((s) => s.key === `rfm-${g.group}`);
                        const name = label(t, `rfm.${g.group}`, g.group);
                        return (
                          <InlineStack key={g.group} align="space-between">
                            {seg ? <Link url={`/app/segments/${seg.key}`} removeUnderline>{name}</Link> : <Text as="span">{name}</Text>}
                            <Text as="span" numeric>{fmt.number(g.customers)} ({fmt.percent(g.customers / overview.scored)})</Text>
                          </InlineStack>
                        );
                      })}
                    </BlockStack>
                  </>
                )}
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="300">
                <InlineStack align="space-between">
                  <Text as="h2" variant="headingMd">{t("overview.sync.heading")}</Text>
                  <Link url="/app/sync">{t("overview.sync.open")}</Link>
                </InlineStack>
                <InlineStack align="space-between">
                  <Text as="span">{t("overview.sync.lastWebhook")}</Text>
                  <Text as="span">{overview.sync.lastWebhookAt ? fmt.dateTime(overview.sync.lastWebhookAt) : t("overview.sync.never")}</Text>
                </InlineStack>
                <InlineStack align="space-between">
                  <Text as="span">{t("overview.sync.backlog")}</Text>
                  <Text as="span" numeric>{fmt.number(overview.sync.backlog)}</Text>
                </InlineStack>
                <InlineStack align="space-between">
                  <Text as="span">{t("overview.sync.parked")}</Text>
                  {overview.sync.parked > 0 ? (
                    <Badge tone="critical">{fmt.number(overview.sync.parked)}</Badge>
                  ) : (
                    <Text as="span" numeric>0</Text>
                  )}
                </InlineStack>
                <InlineStack align="space-between">
                  <Text as="span">{t("overview.sync.lastRun")}</Text>
                  <Text as="span">
                    {overview.sync.lastRun
                      ? `${t(`sync.kind.${overview.sync.lastRun.kind}`)} · ${t(`sync.status.${overview.sync.lastRun.status}`)}`
                      : t("overview.sync.never")}
                  </Text>
                </InlineStack>
              </BlockStack>
            </Card>
          </InlineGrid>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteErrorPage titleKey="overview.title" />;
}
