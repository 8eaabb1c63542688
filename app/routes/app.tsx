import type { HeadersFunction, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, Outlet, useLoaderData, useLocation, useNavigation, useRouteError } from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { AppProvider } from "@shopify/shopify-app-remix/react";
import { NavMenu } from "@shopify/app-bridge-react";
import { Layout, SkeletonBodyText, SkeletonDisplayText, SkeletonPage, Card, BlockStack } from "@shopify/polaris";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import vizStyles from "@shopify/polaris-viz/build/esm/styles.css?url";
import { polarisTranslations, translator } from "../i18n/i18n";
import { requireAdmin } from "../admin/context.server";
import { ADMIN_CSS } from "../components/styles";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: polarisStyles },
  { rel: "stylesheet", href: vizStyles },
];

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: translator(data?.locale ?? "en")("app.name") }];

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { locale } = await requireAdmin(request);
  return { apiKey: process.env.SHOPIFY_API_KEY || "", locale };
};

/** The loading state of every page: a skeleton while the next page's loader runs. */
function PageSkeleton() {
  return (
    <SkeletonPage primaryAction>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <SkeletonDisplayText size="small" />
              <SkeletonBodyText lines={6} />
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </SkeletonPage>
  );
}

export default function App() {
  const { apiKey, locale } = useLoaderData<typeof loader>();
  const t = translator(locale);
  const navigation = useNavigation();
  const location = useLocation();
  const changingPage = navigation.state === "loading" && navigation.location.pathname !== location.pathname;
  return (
    <AppProvider isEmbeddedApp apiKey={apiKey} i18n={polarisTranslations(locale)}>
      <style>{ADMIN_CSS}</style>
      <NavMenu>
        <Link to="/app" rel="home">{t("nav.overview")}</Link>
        <Link to="/app/segments/new">{t("nav.newSegment")}</Link>
        <Link to="/app/offers">{t("nav.offers")}</Link>
        <Link to="/app/settings">{t("nav.settings")}</Link>
        <Link to="/app/sync">{t("nav.sync")}</Link>
        <Link to="/app/privacy">{t("nav.privacy")}</Link>
      </NavMenu>
      <div lang={locale}>{changingPage ? <PageSkeleton /> : <Outlet />}</div>
    </AppProvider>
  );
}

// Shopify needs Remix to catch some thrown responses so their headers reach the browser.
export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
