import { adminFor } from "./admin-client.server";

const GET_SHOP = `#graphql
  query GetShop {
    shop {
      id
      currencyCode
      ianaTimezone
    }
    currentAppInstallation {
      accessScopes { handle }
    }
  }
`;

export interface ShopFacts {
  currency: string;
  timezone: string;
  scopes: string[];
}

export async function getShop(shop: string): Promise<ShopFacts> {
  const data = await adminFor(shop).request<{
    shop: { currencyCode: string; ianaTimezone: string };
    currentAppInstallation: { accessScopes: { handle: string }[] };
  }>(GET_SHOP);
  return {
    currency: data.shop.currencyCode,
    timezone: data.shop.ianaTimezone,
    scopes: data.currentAppInstallation.accessScopes.map((s) => s.handle),
  };
}
