import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import { Banner, BlockStack, Button, Card, Checkbox, FormLayout, Layout, Page, Select, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin/context.server";
import { blankOffer, loadOfferForm, saveOfferForm } from "../admin/offers.server";
import { listShopSegments } from "../admin/segment-list.server";
import { LOCALES } from "../i18n/i18n";
import { errorText, label, useT } from "../components/i18n";
import { RouteErrorPage } from "../components/route-error";
import { FormTextField } from "../components/form-field";

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const segments = (await listShopSegments(shop.id)).filter((s) => s.enabled).map((s) => ({ key: s.key, name: s.name }));
  if (params.id === "new") {
    return { offer: blankOffer(new URL(request.url).searchParams.get("segment") ?? segments[0]?.key ?? ""), segments };
  }
  const offer = await loadOfferForm(shop, Number(params.id));
  if (!offer) throw new Response("Not found", { status: 404 });
  return { offer, segments };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireAdmin(request);
  const result = await saveOfferForm(shop, await request.formData());
  if (result.ok) return redirect("/app/offers");
  return result;
};

export default function OfferEditor() {
  const { offer, segments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const t = useT();
  const errors = result && !result.ok ? result.errors : {};
  const [segmentKey, setSegmentKey] = useState(offer.segmentKey);
  const [enabled, setEnabled] = useState(offer.enabled);
  const err = (field: string) => errorText(t, errors[field]);

  return (
    <Page title={offer.id ? t("offers.editTitle", { name: offer.name }) : t("offers.newTitle")} backAction={{ content: t("offers.title"), url: "/app/offers" }}>
      <Form method="post">
        <input type="hidden" name="id" value={offer.id ?? ""} />
        <input type="hidden" name="enabled" value={enabled ? "on" : "off"} />
        <Layout>
          {Object.keys(errors).length > 0 && (
            <Layout.Section>
              <Banner tone="critical" title={t("offers.invalid")}>
                <ul>{Object.entries(errors).map(([field, code]) => <li key={field}>{errorText(t, code)}</li>)}</ul>
              </Banner>
            </Layout.Section>
          )}
          <Layout.Section>
            <Card>
              <FormLayout>
                <FormTextField name="name" label={t("offers.name")} helpText={t("offers.nameHint")} defaultValue={offer.name} autoComplete="off" error={err("name")} />
                <Select
                  name="segmentKey"
                  label={t("offers.segment")}
                  options={[
                    ...segments.map((s) => ({ value: s.key, label: label(t, `segment.${s.key}`, s.name) })),
                    { value: "@guest", label: t("offers.guests") },
                  ]}
                  value={segmentKey}
                  onChange={setSegmentKey}
                  error={err("segmentKey")}
                />
                <Checkbox label={t("offers.enabled")} checked={enabled} onChange={setEnabled} />
              </FormLayout>
            </Card>
          </Layout.Section>
          {LOCALES.map((lang) => (
            <Layout.Section key={lang}>
              <Card>
                <BlockStack gap="300">
                  <Text as="h2" variant="headingSm">{t(`settings.language.${lang}`)}</Text>
                  <FormLayout>
                    <FormTextField name={`content.${lang}.headline`} label={t("offers.headline")} defaultValue={offer.content[lang]?.headline ?? ""} autoComplete="off" error={err(`content.${lang}.headline`)} />
                    <FormTextField name={`content.${lang}.body`} label={t("offers.body")} defaultValue={offer.content[lang]?.body ?? ""} multiline={3} autoComplete="off" error={err(`content.${lang}.body`)} />
                    <FormTextField name={`content.${lang}.cta`} label={t("offers.cta")} defaultValue={offer.content[lang]?.cta ?? ""} autoComplete="off" error={err(`content.${lang}.cta`)} />
                  </FormLayout>
                </BlockStack>
              </Card>
            </Layout.Section>
          ))}
          <Layout.Section>
            <Card>
              <FormLayout>
                <FormTextField name="ctaUrl" label={t("offers.ctaUrl")} helpText={t("offers.ctaUrlHint")} defaultValue={offer.ctaUrl} autoComplete="off" error={err("ctaUrl")} />
                <FormTextField name="discountCode" label={t("offers.discountCode")} defaultValue={offer.discountCode} autoComplete="off" error={err("discountCode")} />
                <FormTextField name="priority" label={t("offers.priority")} helpText={t("offers.priorityHint")} type="number" defaultValue={offer.priority} autoComplete="off" error={err("priority")} />
                <FormLayout.Group>
                  <FormTextField name="startsAt" label={t("offers.startsAt")} type="date" defaultValue={offer.startsAt} autoComplete="off" error={err("startsAt")} />
                  <FormTextField name="endsAt" label={t("offers.endsAt")} type="date" defaultValue={offer.endsAt} autoComplete="off" error={err("endsAt")} />
                </FormLayout.Group>
              </FormLayout>
            </Card>
          </Layout.Section>
          <Layout.Section>
            <Button submit variant="primary" loading={navigation.state === "submitting"}>{t("offers.save")}</Button>
          </Layout.Section>
        </Layout>
      </Form>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteErrorPage titleKey="offers.title" />;
}
