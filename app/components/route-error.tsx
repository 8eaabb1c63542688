import { isRouteErrorResponse, useRevalidator, useRouteError } from "@remix-run/react";
import { Banner, Layout, Page } from "@shopify/polaris";
import { useT } from "./i18n";

/** Every admin page's error state: what happened, and an action that tries again. */
export function RouteErrorPage({ titleKey }: { titleKey: string }) {
  const error = useRouteError();
  const t = useT();
  const revalidator = useRevalidator();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <Page title={t(titleKey)} backAction={{ content: t("nav.overview"), url: "/app" }}>
      <Layout>
        <Layout.Section>
          <Banner
            tone="critical"
            title={notFound ? t("error.notFound") : t("error.title")}
            action={notFound ? { content: t("nav.overview"), url: "/app" } : { content: t("error.retry"), onAction: () => revalidator.revalidate() }}
          >
            <p>{notFound ? t("error.notFoundBody") : t("error.body")}</p>
          </Banner>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
