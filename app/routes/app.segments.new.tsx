import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { useEffect, useMemo, useRef, useState } from "react";
import { Banner, BlockStack, Button, Card, InlineStack, Layout, Page, Spinner, Text, TextField } from "@shopify/polaris";
import { requireAdmin } from "../admin/context.server";
import { handleBuilder, type BuilderResult } from "../admin/custom-segments.server";
import { listShopSegments } from "../admin/segment-list.server";
import { errorText, useFormat, useT } from "../components/i18n";
import { RouteErrorPage } from "../components/route-error";
import { RuleBuilder, fromRule, toRule, type UiGroup } from "../components/rule-builder";
import type { Rule } from "../segments/rules";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const key = new URL(request.url).searchParams.get("key");
  const segments = await listShopSegments(shop.id);
  const editing = key ? segments.find((s) => s.key === key && s.kind === "custom") : undefined;
  if (key && !editing) throw new Response("Not found", { status: 404 });
  return {
    editing: editing ? { key: editing.key, name: editing.name, rule: (editing.rule ?? null) as Rule | null } : null,
    segments: segments.filter((s) => s.kind !== "custom").map((s) => ({ key: s.key, name: s.name })),
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const result = await handleBuilder(shop, await request.formData());
  if (result.ok && result.intent === "save") return redirect(`/app/segments/${result.key}`);
  return result;
};

export default function SegmentBuilder() {
  const { editing, segments } = useLoaderData<typeof loader>();
  const t = useT();
  const fmt = useFormat();
  const [root, setRoot] = useState<UiGroup>(() => fromRule(editing?.rule ?? undefined));
  const [key, setKey] = useState(editing?.key ?? "");
  const [name, setName] = useState(editing?.name ?? "");
  const preview = useFetcher<BuilderResult>();
  const save = useFetcher<BuilderResult>();
  const paths = useMemo(() => new Map<string, string>(), []);
  const ruleJson = useMemo(() => JSON.stringify(toRule(root, paths)), [root, paths]);

  // Live preview: re-count a moment after the rule stops changing.
  const submitPreview = useRef(preview.submit);
  submitPreview.current = preview.submit;
  const previewTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    previewTimer.current = setTimeout(() => submitPreview.current({ intent: "preview", rule: ruleJson }, { method: "post" }), 400);
    return () => clearTimeout(previewTimer.current);
  }, [ruleJson]);
  // A preview submitted after Save would revalidate this page while the save's redirect loads.
  const submitSave = () => {
    clearTimeout(previewTimer.current);
    save.submit({ intent: "save", key, name, rule: ruleJson }, { method: "post" });
  };

  const result = save.data && !save.data.ok ? save.data : preview.data && !preview.data.ok ? preview.data : null;
  const errors = new Map<string, string>();
  const loose: string[] = [];
  for (const e of result && !result.ok ? result.errors : []) {
    const path = e.path.replace(/^rule\.?/, "");
    const message = errorText(t, e.message.startsWith("builder.") ? e.message : `!${e.message}`) ?? "";
    if (e.path === "key" || e.path === "name") errors.set(e.path, message);
    else if (path === "" || path === "(root)") loose.push(message);
    else errors.set(path, message);
  }
  const knownPaths = new Set<string>();
  for (const prefix of paths.values()) for (const f of ["value", "cmp", "feature", "segment", "rules"]) knownPaths.add(`${prefix}${f}`);
  for (const [path, message] of errors) if (path !== "key" && path !== "name" && !knownPaths.has(path)) loose.push(message);
  const count = preview.data?.ok && preview.data.intent === "preview" ? preview.data.count : null;

  return (
    <Page
      title={editing ? t("builder.editTitle", { name: editing.name }) : t("builder.title")}
      backAction={{ content: t("nav.overview"), url: "/app" }}
      primaryAction={{
        content: t("builder.save"),
        loading: save.state !== "idle",
        onAction: submitSave,
      }}
    >
      <Layout>
        {loose.length > 0 && (
          <Layout.Section>
            <Banner tone="critical" title={t("builder.invalid")}>
              <ul>{loose.map((m, i) => <li key={i}>{m}</li>)}</ul>
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <TextField label={t("builder.name")} value={name} onChange={setName} autoComplete="off" error={errors.get("name")} />
              <TextField
                label={t("builder.key")}
                value={key}
                onChange={(v) => setKey(v.toLowerCase())}
                autoComplete="off"
                disabled={Boolean(editing)}
                helpText={t("builder.keyHint")}
                error={errors.get("key")}
              />
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">{t("builder.rule")}</Text>
              <RuleBuilder root={root} onChange={setRoot} errors={errors} paths={paths} segments={segments} />
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">{t("builder.preview")}</Text>
              <div aria-live="polite" data-testid="preview-count">
                {preview.state !== "idle" ? (
                  <InlineStack gap="200" blockAlign="center">
                    <Spinner size="small" accessibilityLabel={t("builder.counting")} />
                    <Text as="span">{t("builder.counting")}</Text>
                  </InlineStack>
                ) : count !== null ? (
                  <Text as="p" variant="headingLg">{t("builder.previewCount", { count: fmt.number(count) })}</Text>
                ) : preview.data && !preview.data.ok ? (
                  <Text as="p" tone="critical">{t("builder.fixErrors")}</Text>
                ) : (
                  <Text as="p" tone="subdued">{t("builder.previewHint")}</Text>
                )}
              </div>
              <Button onClick={() => preview.submit({ intent: "preview", rule: ruleJson }, { method: "post" })}>{t("builder.recount")}</Button>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteErrorPage titleKey="builder.title" />;
}
