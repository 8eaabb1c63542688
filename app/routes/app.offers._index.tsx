import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { Badge, Button, Card, EmptyState, IndexTable, Layout, Link, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin/context.server";
import { deleteOfferForm, listOfferRows } from "../admin/offers.server";
import { listShopSegments } from "../admin/segment-list.server";
import { label, useFormat, useT } from "../components/i18n";
import { RouteErrorPage } from "../components/route-error";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const [offers, segments] = await Promise.all([listOfferRows(shop), listShopSegments(shop.id)]);
  return { offers, names: Object.fromEntries(segments.map((s) => [s.key, s.name])) };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const form = await request.formData();
  if (form.get("intent") === "delete") return { deleted: await deleteOfferForm(shop, form) };
  return { deleted: false };
};

export default function Offers() {
  const { offers, names } = useLoaderData<typeof loader>();
  const t = useT();
  const fmt = useFormat();
  const remove = useFetcher<typeof action>();
  const audience = (key: string) => (key === "@guest" ? t("offers.guests") : label(t, `segment.${key}`, names[key] ?? key));

  return (
    <Page title={t("offers.title")} backAction={{ content: t("nav.overview"), url: "/app" }} primaryAction={{ content: t("offers.create"), url: "/app/offers/new" }}>
      <Layout>
        <Layout.Section>
          {offers.length === 0 ? (
            <Card>
              <EmptyState
                heading={t("offers.empty.heading")}
                action={{ content: t("offers.create"), url: "/app/offers/new" }}
                image="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
              >
                <p>{t("offers.empty.body")}</p>
              </EmptyState>
            </Card>
          ) : (
            <Card padding="0">
              <IndexTable
                resourceName={{ singular: t("offers.offer"), plural: t("offers.title") }}
                itemCount={offers.length}
                selectable={false}
                headings={[
                  { title: t("offers.col.name") },
                  { title: t("offers.col.segment") },
                  { title: t("offers.col.status") },
                  { title: t("offers.col.targeted"), alignment: "end" },
                  { title: t("offers.col.redemptions"), alignment: "end" },
                  { title: t("offers.col.revenue"), alignment: "end" },
                  { title: t("offers.col.actions") },
                ]}
              >
                {offers.map((o, i) => (
                  <IndexTable.Row id={String(o.id)} key={o.id} position={i}>
                    <IndexTable.Cell>
                      <Link url={`/app/offers/${o.id}`} removeUnderline>{o.name}</Link>
                      {o.discountCode && <Text as="p" variant="bodySm" tone="subdued">{o.discountCode}</Text>}
                    </IndexTable.Cell>
                    <IndexTable.Cell>{audience(o.segmentKey)}</IndexTable.Cell>
                    <IndexTable.Cell>
                      {o.live ? <Badge tone="success">{t("offers.live")}</Badge> : o.enabled ? <Badge tone="attention">{t("offers.scheduled")}</Badge> : <Badge>{t("offers.off")}</Badge>}
                    </IndexTable.Cell>
                    <IndexTable.Cell><Text as="span" alignment="end" numeric>{o.membersTargeted === null ? "–" : fmt.number(o.membersTargeted)}</Text></IndexTable.Cell>
                    <IndexTable.Cell><Text as="span" alignment="end" numeric>{fmt.number(o.redemptions)}</Text></IndexTable.Cell>
                    <IndexTable.Cell><Text as="span" alignment="end" numeric>{fmt.money(o.revenue, o.currency)}</Text></IndexTable.Cell>
                    <IndexTable.Cell>
                      <remove.Form method="post">
                        <input type="hidden" name="id" value={o.id} />
                        <input type="hidden" name="intent" value="delete" />
                        <Button submit variant="plain" tone="critical" accessibilityLabel={t("offers.deleteNamed", { name: o.name })}>
                          {t("offers.delete")}
                        </Button>
                      </remove.Form>
                    </IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            </Card>
          )}
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteErrorPage titleKey="offers.title" />;
}
