import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { BlockStack, Card, EmptyState, Layout, Page, Text } from "@shopify/polaris";
import { authenticate } from "../shopify.server";
import { resolveLocale, translator } from "../i18n/i18n";
import prisma from "../db.server";
import { summarizeShop } from "../lib/store-summary.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const shop = await prisma.shop.findUnique({ where: { domain: session.shop } });
  const customers = shop ? (await summarizeShop(shop.id)).customers : 0;
  return { shop: session.shop, customers, locale: resolveLocale(request) };
};

export default function Index() {
  const { shop, customers, locale } = useLoaderData<typeof loader>();
  const t = translator(locale);
  return (
    <Page title={t("home.title")}>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd" id="app-home-heading">{t("home.welcome")}</Text>
              <Text as="p" tone="subdued">{shop}</Text>
            </BlockStack>
          </Card>
        </Layout.Section>
        {customers === 0 && (
          <Layout.Section>
            <Card>
              <EmptyState heading={t("home.title")} image="">
                <p>{t("home.notSynced")}</p>
              </EmptyState>
            </Card>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}
