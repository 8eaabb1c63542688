import { AppProvider, Button, Card, FormLayout, Page, Text, TextField } from "@shopify/polaris";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { login } from "../../shopify.server";
import { polarisTranslations, resolveLocale, translator } from "../../i18n/i18n";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: polarisStyles }];

function loginErrorKey(errors: { shop?: unknown } | undefined) {
  if (!errors?.shop) return null;
  return String(errors.shop) === "MISSING_SHOP" ? "login.missingShop" : "login.invalidShop";
}

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const locale = resolveLocale(request);
  const errors = await login(request);
  return { locale, errorKey: loginErrorKey(errors as { shop?: unknown }) };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const errors = await login(request);
  return { errorKey: loginErrorKey(errors as { shop?: unknown }) };
};

export default function Login() {
  const { locale, errorKey: loaderError } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [shop, setShop] = useState("");
  const t = translator(locale);
  const errorKey = actionData?.errorKey ?? loaderError;
  return (
    <AppProvider i18n={polarisTranslations(locale)}>
      <Page narrowWidth>
        <Card>
          <Form method="post">
            <FormLayout>
              <Text variant="headingMd" as="h1">{t("login.title")}</Text>
              <TextField
                type="text"
                name="shop"
                label={t("login.shopLabel")}
                helpText="example.myshopify.com"
                value={shop}
                onChange={setShop}
                autoComplete="on"
                error={errorKey ? t(errorKey) : undefined}
              />
              <Button submit>{t("login.submit")}</Button>
            </FormLayout>
          </Form>
        </Card>
      </Page>
    </AppProvider>
  );
}
