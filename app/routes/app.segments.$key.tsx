import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData, useNavigate, useSearchParams } from "@remix-run/react";
import { Badge, BlockStack, Button, Card, DescriptionList, IndexTable, InlineStack, Layout, Link, Page, Text, type IndexTableProps } from "@shopify/polaris";
import { requireAdmin } from "../admin/context.server";
import { explainMember, loadSegmentPage } from "../admin/segment-page.server";
import { label, useFormat, useT } from "../components/i18n";
import { RouteErrorPage } from "../components/route-error";
import { describeRule, featureLabel } from "../components/rule-text";
import { SizeChart } from "../components/size-chart";

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const key = params.key ?? "";
  const url = new URL(request.url);
  const q = url.searchParams;
  const page = await loadSegmentPage(shop, key, { sort: q.get("sort"), direction: q.get("dir"), after: q.get("after"), before: q.get("before") });
  if (!page) throw new Response("Not found", { status: 404 });
  const whyId = q.get("why");
  const why = whyId ? await explainMember(shop, key, whyId) : null;
  return { ...page, rule: page.rule ?? undefined, why, whyId, currency: shop.currency };
};

const CMP_TEXT: Record<string, string> = { "=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", in: "∈" };
const SORTS = ["customer", "entered", "orders", "spend", "aov", "lastOrder"] as const;

export default function SegmentPage() {
  const { segment, members, history, rule, why, whyId, currency } = useLoaderData<typeof loader>();
  const t = useT();
  const fmt = useFormat();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const name = label(t, `segment.${segment.key}`, segment.name);

  const go = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    navigate(`?${next.toString()}`, { preventScrollReset: true });
  };
  const sortIndex = SORTS.indexOf(members.sort);
  const onSort: IndexTableProps["onSort"] = (index, direction) =>
    go({ sort: SORTS[index] ?? "spend", dir: direction === "ascending" ? "asc" : "desc", after: null, before: null, why: null });

  return (
    <Page
      title={name}
      titleMetadata={segment.enabled ? <Badge tone="success">{t("segment.enabled")}</Badge> : <Badge>{t("segment.disabled")}</Badge>}
      backAction={{ content: t("nav.overview"), url: "/app" }}
      secondaryActions={[
        segment.kind === "custom"
          ? { content: t("segment.edit"), url: `/app/segments/new?key=${encodeURIComponent(segment.key)}` }
          : { content: t("segment.settings"), url: `/app/settings#segment-${segment.key}` },
        { content: t("segment.offers"), url: `/app/offers/new?segment=${encodeURIComponent(segment.key)}` },
      ]}
    >
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">{t("segment.definition")}</Text>
              <Text as="p">{describeRule(t, rule)}</Text>
              {Object.keys(segment.definitions).length > 0 && (
                <DescriptionList
                  items={Object.entries(segment.definitions).map(([k, def]) => ({
                    term: label(t, `setting.${segment.key}.${k}`, def.label),
                    description: `${segment.settings[k]}${segment.settings[k] !== segment.defaults[k] ? ` (${t("segment.default", { value: segment.defaults[k] })})` : ` (${t("segment.isDefault")})`}`,
                  }))}
                />
              )}
            </BlockStack>
          </Card>
        </Layout.Section>

        {whyId && (
          <Layout.Section>
            <Card>
              <BlockStack gap="300">
                <InlineStack align="space-between">
                  <Text as="h2" variant="headingMd">{t("segment.why.heading", { id: whyId })}</Text>
                  <Button onClick={() => go({ why: null })} variant="plain">{t("segment.why.close")}</Button>
                </InlineStack>
                {!why ? (
                  <Text as="p" tone="subdued">{t("segment.why.unknown")}</Text>
                ) : (
                  <BlockStack gap="200">
                    <Text as="p">
                      {why.member ? t("segment.why.member", { since: why.since ? fmt.date(why.since) : "–" }) : t("segment.why.notMember")}
                    </Text>
                    {why.optedOut && <Text as="p" tone="caution">{t("segment.why.optedOut")}</Text>}
                    {!why.found ? (
                      <Text as="p" tone="subdued">{t("segment.why.noDetail")}</Text>
                    ) : (
                      <table className="segsync-data-table" data-testid="why-table">
                        <caption className="segsync-visually-hidden">{t("segment.why.heading", { id: whyId })}</caption>
                        <thead>
                          <tr>
                            <th scope="col">{t("segment.why.feature")}</th>
                            <th scope="col">{t("segment.why.value")}</th>
                            <th scope="col">{t("segment.why.threshold")}</th>
                            <th scope="col">{t("segment.why.result")}</th>
                          </tr>
                        </thead>
                        <tbody>
                          {why.items.map((item, i) => (
                            <tr key={i}>
                              <th scope="row" style={{ paddingLeft: 8 + item.depth * 16 }}>
                                {item.feature
                                  ? featureLabel(t, item.feature)
                                  : item.segment
                                    ? t("rule.memberOf", { segment: label(t, `segment.${item.segment}`, item.segment) })
                                    : t(`segment.why.op.${item.op}`)}
                              </th>
                              <td>{item.value ?? "–"}</td>
                              <td>
                                {item.threshold === null
                                  ? "–"
                                  : `${CMP_TEXT[item.cmp ?? ""] ?? item.cmp ?? ""} ${item.threshold}${item.stat ? ` (${label(t, `stat.${item.stat}`, item.stat)})` : ""}`}
                              </td>
                              <td>{item.pass ? t("segment.why.pass") : t("segment.why.fail")}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    )}
                  </BlockStack>
                )}
              </BlockStack>
            </Card>
          </Layout.Section>
        )}

        <Layout.Section>
          <Card padding="0">
            <div style={{ padding: "16px 16px 8px" }}>
              <Text as="h2" variant="headingMd">{t("segment.members", { count: fmt.number(members.total) })}</Text>
              <Text as="p" tone="subdued">{t("segment.membersHint")}</Text>
            </div>
            <IndexTable
              resourceName={{ singular: t("segment.customer"), plural: t("segment.customers") }}
              itemCount={members.rows.length}
              selectable={false}
              sortable={[true, true, true, true, true, true, false]}
              sortColumnIndex={sortIndex}
              sortDirection={members.direction === "asc" ? "ascending" : "descending"}
              defaultSortDirection="descending"
              onSort={onSort}
              headings={[
                { title: t("segment.col.customer") },
                { title: t("segment.col.entered") },
                { title: t("segment.col.orders"), alignment: "end" },
                { title: t("segment.col.spend"), alignment: "end" },
                { title: t("segment.col.aov"), alignment: "end" },
                { title: t("segment.col.lastOrder") },
                { title: t("segment.col.why") },
              ]}
              emptyState={
                <div style={{ padding: 16 }}>
                  <Text as="p" tone="subdued">{t("segment.noMembers")}</Text>
                </div>
              }
              pagination={{
                hasNext: Boolean(members.next),
                hasPrevious: Boolean(members.previous),
                onNext: () => go({ after: members.next, before: null, why: null }),
                onPrevious: () => go({ before: members.previous, after: null, why: null }),
                accessibilityLabels: { next: t("segment.nextPage"), previous: t("segment.previousPage") },
              }}
            >
              {members.rows.map((m, i) => (
                <IndexTable.Row id={m.customerId} key={m.customerId} position={i}>
                  <IndexTable.Cell>
                    <Link url={`shopify://admin/customers/${m.customerId}`} target="_top" accessibilityLabel={t("segment.openCustomer", { id: m.customerId })}>
                      {m.customerId}
                    </Link>
                  </IndexTable.Cell>
                  <IndexTable.Cell>{fmt.date(m.enteredAt)}</IndexTable.Cell>
                  <IndexTable.Cell><Text as="span" alignment="end" numeric>{fmt.number(m.ordersCount)}</Text></IndexTable.Cell>
                  <IndexTable.Cell><Text as="span" alignment="end" numeric>{fmt.money(m.spendLifetime, currency)}</Text></IndexTable.Cell>
                  <IndexTable.Cell><Text as="span" alignment="end" numeric>{m.aov === null ? "–" : fmt.money(m.aov, currency)}</Text></IndexTable.Cell>
                  <IndexTable.Cell>{m.lastOrderAt ? fmt.date(m.lastOrderAt) : "–"}</IndexTable.Cell>
                  <IndexTable.Cell>
                    <Button variant="plain" onClick={() => go({ why: m.customerId })} accessibilityLabel={t("segment.whyFor", { id: m.customerId })}>
                      {t("segment.col.why")}
                    </Button>
                  </IndexTable.Cell>
                </IndexTable.Row>
              ))}
            </IndexTable>
          </Card>
        </Layout.Section>

        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">{t("segment.history.heading")}</Text>
              {history.length === 0 ? (
                <Text as="p" tone="subdued">{t("segment.history.empty")}</Text>
              ) : (
                <>
                  <SizeChart
                    label={t("segment.history.heading")}
                    series={[
                      { name: t("segment.history.entries"), points: history.map((h) => ({ day: h.day, value: h.entries })) },
                      { name: t("segment.history.exits"), points: history.map((h) => ({ day: h.day, value: h.exits })) },
                      { name: t("segment.history.size"), points: history.map((h) => ({ day: h.day, value: h.size })) },
                    ]}
                  />
                </>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteErrorPage titleKey="segment.title" />;
}
