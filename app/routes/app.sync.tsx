import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { useFetcher, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { Badge, Banner, BlockStack, Button, Card, EmptyState, IndexTable, InlineStack, Layout, Page, ProgressBar, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin/context.server";
import { handleSyncAction, loadSyncPage, type SyncActionResult } from "../admin/sync-page.server";
import { errorText, useFormat, useT } from "../components/i18n";
import { RouteErrorPage } from "../components/route-error";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  return loadSyncPage(shop);
};

export const action = async ({ request }: ActionFunctionArgs): Promise<SyncActionResult> => {
  const { shop } = await requireAdmin(request);
  return handleSyncAction(shop, await request.formData());
};

const POLL_MS = 3000;

function eta(t: ReturnType<typeof useT>, seconds: number | null) {
  if (seconds === null) return t("sync.etaUnknown");
  if (seconds < 60) return t("sync.etaSeconds", { n: seconds });
  return t("sync.etaMinutes", { n: Math.ceil(seconds / 60) });
}

/** One labelled figure of a status card. */
function FactRow({ label, numeric = false, children }: { label: string; numeric?: boolean; children: React.ReactNode }) {
  return (
    <InlineStack align="space-between">
      <Text as="span">{label}</Text>
      <Text as="span" numeric={numeric}>{children}</Text>
    </InlineStack>
  );
}

export default function Sync() {
  const { progress, running, parked, health, push } = useLoaderData<typeof loader>();
  const t = useT();
  const fmt = useFormat();
  const revalidator = useRevalidator();
  const start = useFetcher<typeof action>();
  const retry = useFetcher<typeof action>();

  // While a run is in progress, re-read its progress every few seconds.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [running, revalidator]);

  const failed = [start.data, retry.data].find((d) => d && !d.ok) as Extract<SyncActionResult, { ok: false }> | undefined;

  return (
    <Page title={t("sync.title")} backAction={{ content: t("nav.overview"), url: "/app" }}>
      <Layout>
        {failed && (
          <Layout.Section>
            <Banner tone="critical" title={t("sync.actionFailed")} action={{ content: t("error.retry"), onAction: () => revalidator.revalidate() }}>
              <p>{errorText(t, failed.error)}</p>
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <InlineStack align="space-between" blockAlign="center">
                <Text as="h2" variant="headingMd">{t("sync.progress.heading")}</Text>
                <InlineStack gap="200">
                  <start.Form method="post">
                    <input type="hidden" name="intent" value="reconcile" />
                    <Button submit disabled={running} loading={start.state !== "idle" && start.formData?.get("intent") === "reconcile"}>
                      {t("sync.reconcileNow")}
                    </Button>
                  </start.Form>
                  <start.Form method="post">
                    <input type="hidden" name="intent" value="backfill" />
                    <Button submit disabled={running} loading={start.state !== "idle" && start.formData?.get("intent") === "backfill"}>
                      {t("sync.backfillNow")}
                    </Button>
                  </start.Form>
                </InlineStack>
              </InlineStack>
              {!progress ? (
                <EmptyState heading={t("sync.noRun.heading")} image="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E">
                  <p>{t("sync.noRun.body")}</p>
                </EmptyState>
              ) : (
                <BlockStack gap="300">
                  <InlineStack gap="200" blockAlign="center">
                    <Text as="span" fontWeight="semibold">{t(`sync.kind.${progress.kind}`)}</Text>
                    <Badge tone={progress.status === "completed" ? "success" : progress.status === "failed" ? "critical" : "info"}>
                      {t(`sync.status.${progress.status}`)}
                    </Badge>
                  </InlineStack>
                  <div data-testid="backfill-progress" data-percent={progress.percent}>
                    <ProgressBar progress={progress.percent} tone={progress.status === "failed" ? "critical" : "primary"} ariaLabelledBy="sync-progress-label" />
                  </div>
                  <Text as="p" id="sync-progress-label">
                    {t("sync.progressLine", {
                      percent: progress.percent,
                      rows: fmt.number(progress.rows),
                      total: progress.totalRows === null ? "?" : fmt.number(progress.totalRows),
                    })}
                    {running ? ` · ${eta(t, progress.etaSeconds)}` : ""}
                  </Text>
                  {progress.finishedAt && <Text as="p" tone="subdued">{t("sync.finishedAt", { at: fmt.dateTime(progress.finishedAt) })}</Text>}
                  {progress.kind === "reconcile" && progress.status === "completed" && <Text as="p">{t("sync.repaired", { n: fmt.number(progress.repaired) })}</Text>}
                  {progress.notice && (
                    <Banner tone="warning">
                      <p>{t(`sync.notice.${progress.notice}`)}</p>
                    </Banner>
                  )}
                  {progress.error && (
                    <Banner tone="critical" title={t("sync.runFailed")} action={{ content: t("sync.backfillNow"), onAction: () => start.submit({ intent: "backfill" }, { method: "post" }) }}>
                      <p>{progress.error}</p>
                    </Banner>
                  )}
                </BlockStack>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">{t("overview.sync.heading")}</Text>
              <FactRow label={t("overview.sync.lastWebhook")}>{health.lastWebhookAt ? fmt.dateTime(health.lastWebhookAt) : t("overview.sync.never")}</FactRow>
              <FactRow label={t("overview.sync.backlog")} numeric>{fmt.number(health.backlog)}</FactRow>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">{t("sync.push.heading")}</Text>
              <Text as="p" tone="subdued">{t("sync.push.hint")}</Text>
              <FactRow label={t("sync.push.waiting")} numeric>{fmt.number(push.waiting)}</FactRow>
              {push.changesWaiting > 0 && (
                <FactRow label={t("sync.push.changesWaiting")} numeric>{fmt.number(push.changesWaiting)}</FactRow>
              )}
              <FactRow label={t("sync.push.flowWaiting")} numeric>{fmt.number(push.flowWaiting)}</FactRow>
              <FactRow label={t("sync.push.lastPush")}>{push.lastPushAt ? fmt.dateTime(push.lastPushAt) : t("overview.sync.never")}</FactRow>
              <FactRow label={t("sync.push.lastDrift")}>
                {push.lastDriftAt ? t("sync.push.driftLine", { at: fmt.dateTime(push.lastDriftAt), n: fmt.number(push.lastDriftRepaired) }) : t("overview.sync.never")}
              </FactRow>
              {(push.failed > 0 || push.flowFailed > 0) && (
                <Banner tone="warning" title={t("sync.push.failedTitle")}>
                  <p>{t("sync.push.failedBody", { customers: fmt.number(push.failed), triggers: fmt.number(push.flowFailed) })}</p>
                </Banner>
              )}
              {push.tagLimit.length > 0 && (
                <Banner tone="info" title={t("sync.push.tagLimitTitle")}>
                  <p>{t("sync.push.tagLimitBody")}</p>
                  <ul>
                    {push.tagLimit.map((n) => (
                      <li key={`${n.customerId}-${n.at}`}>{t("sync.push.tagLimitLine", { customer: n.customerId, n: fmt.number(n.suppressed) })}</li>
                    ))}
                  </ul>
                </Banner>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            <div style={{ padding: "16px 16px 8px" }}>
              <Text as="h2" variant="headingMd">{t("sync.parked.heading")}</Text>
              <Text as="p" tone="subdued">{t("sync.parked.hint")}</Text>
            </div>
            <IndexTable
              resourceName={{ singular: t("sync.parked.event"), plural: t("sync.parked.events") }}
              itemCount={parked.length}
              selectable={false}
              emptyState={
                <div style={{ padding: 16 }}>
                  <Text as="p" tone="subdued">{t("sync.parked.empty")}</Text>
                </div>
              }
              headings={[
                { title: t("sync.parked.topic") },
                { title: t("sync.parked.received") },
                { title: t("sync.parked.attempts"), alignment: "end" },
                { title: t("sync.parked.error") },
                { title: t("sync.parked.action") },
              ]}
            >
              {parked.map((e, i) => (
                <IndexTable.Row id={e.id} key={e.id} position={i}>
                  <IndexTable.Cell>{e.topic}</IndexTable.Cell>
                  <IndexTable.Cell>{fmt.dateTime(e.receivedAt)}</IndexTable.Cell>
                  <IndexTable.Cell><Text as="span" alignment="end" numeric>{e.attempts}</Text></IndexTable.Cell>
                  <IndexTable.Cell><Text as="span" breakWord>{e.lastError ?? "–"}</Text></IndexTable.Cell>
                  <IndexTable.Cell>
                    <retry.Form method="post">
                      <input type="hidden" name="id" value={e.id} />
                      <input type="hidden" name="intent" value="retry" />
                      <Button submit size="slim" accessibilityLabel={t("sync.parked.retryNamed", { topic: e.topic })}>
                        {t("sync.parked.retry")}
                      </Button>
                    </retry.Form>
                  </IndexTable.Cell>
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
  return <RouteErrorPage titleKey="sync.title" />;
}
