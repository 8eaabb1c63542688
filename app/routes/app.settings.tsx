import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import { Banner, BlockStack, Button, Card, Checkbox, FormLayout, InlineGrid, Layout, Page, Select, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin/context.server";
import { loadSettings, saveSettings } from "../admin/settings.server";
import { LANGUAGE_CHOICES } from "../admin/choices";
import { errorText, label, useT } from "../components/i18n";
import { RouteErrorPage } from "../components/route-error";
import { FormTextField } from "../components/form-field";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  return loadSettings(shop);
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const result = await saveSettings(shop, await request.formData());
  return { ...result, saved: Object.keys(result.errors).length === 0 };
};

export default function Settings() {
  const { general, segments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const t = useT();
  const errors = result?.errors ?? {};
  const [language, setLanguage] = useState(general.language);
  const saving = navigation.state === "submitting";
  const catalogue = segments.filter((s) => s.kind === "catalogue");
  const others = segments.filter((s) => s.kind !== "catalogue");

  return (
    <Page title={t("settings.title")} backAction={{ content: t("nav.overview"), url: "/app" }}>
      <Form method="post">
        <Layout>
          {result?.saved && (
            <Layout.Section>
              <Banner tone="success" title={t("settings.saved")}>
                <p>{result.reevaluated ? t("settings.reevaluated") : t("settings.savedBody")}</p>
              </Banner>
            </Layout.Section>
          )}
          {result && !result.saved && (
            <Layout.Section>
              <Banner tone="critical" title={t("settings.invalid")}>
                <p>{t("settings.invalidBody")}</p>
              </Banner>
            </Layout.Section>
          )}
          <Layout.AnnotatedSection title={t("settings.general")} description={t("settings.generalHint")}>
            <Card>
              <FormLayout>
                <FormTextField name="tagPrefix" label={t("settings.tagPrefix")} helpText={t("settings.tagPrefixHint")} defaultValue={general.tagPrefix} autoComplete="off" error={errorText(t, errors.tagPrefix)} />
                <FormTextField name="optOutTag" label={t("settings.optOutTag")} helpText={t("settings.optOutTagHint")} defaultValue={general.optOutTag} autoComplete="off" error={errorText(t, errors.optOutTag)} />
                <Select
                  name="language"
                  label={t("settings.language")}
                  helpText={t("settings.languageHint")}
                  options={LANGUAGE_CHOICES.map((l) => ({ value: l, label: t(`settings.language.${l}`) }))}
                  value={language}
                  onChange={setLanguage}
                  error={errorText(t, errors.language)}
                />
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title={t("settings.thresholds")} description={t("settings.thresholdsHint")}>
            <BlockStack gap="400">
              {catalogue.map((s) => (
                <div key={s.key} id={`segment-${s.key}`}>
                  <Card>
                    <BlockStack gap="300">
                      <Text as="h2" variant="headingSm">{label(t, `segment.${s.key}`, s.name)}</Text>
                      <SegmentToggle segmentKey={s.key} enabled={s.enabled} />
                      {Object.keys(s.definitions).length > 0 && (
                        <InlineGrid columns={{ xs: 1, sm: 2 }} gap="300">
                          {Object.entries(s.definitions).map(([name, def]) => (
                            <FormTextField
                              key={name}
                              name={`settings.${s.key}.${name}`}
                              label={label(t, `setting.${s.key}.${name}`, def.label)}
                              type="number"
                              step={def.integer ? 1 : 0.01}
                              min={def.min}
                              max={def.max}
                              defaultValue={String(s.settings[name])}
                              helpText={t("settings.default", { value: s.defaults[name] })}
                              autoComplete="off"
                              error={errorText(t, errors[`settings.${s.key}.${name}`])}
                            />
                          ))}
                        </InlineGrid>
                      )}
                    </BlockStack>
                  </Card>
                </div>
              ))}
            </BlockStack>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title={t("settings.otherSegments")} description={t("settings.otherSegmentsHint")}>
            <Card>
              <BlockStack gap="200">
                {others.map((s) => (
                  <SegmentToggle key={s.key} segmentKey={s.key} enabled={s.enabled} name={label(t, `segment.${s.key}`, s.name)} />
                ))}
              </BlockStack>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.Section>
            <Button submit variant="primary" loading={saving}>{t("settings.save")}</Button>
          </Layout.Section>
        </Layout>
      </Form>
    </Page>
  );
}

/** A checkbox that always submits its state (a hidden "off" precedes it). */
function SegmentToggle({ segmentKey, enabled, name }: { segmentKey: string; enabled: boolean; name?: string }) {
  const t = useT();
  const [on, setOn] = useState(enabled);
  return (
    <>
      <input type="hidden" name={`enabled.${segmentKey}`} value={on ? "on" : "off"} />
      <Checkbox label={name ?? t("settings.enabled")} checked={on} onChange={setOn} />
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorPage titleKey="settings.title" />;
}
