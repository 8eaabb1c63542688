// The bulk queries sync runs (their text is sent inside bulkOperationRunQuery). `__FILTER__` is
// replaced at run time with a JSON string literal holding Shopify's search syntax
// (e.g. `updated_at:>'2026-01-01T00:00:00Z'`); as written here each document validates as is.

export const CUSTOMERS_BULK_QUERY = `#graphql
  query BulkCustomers {
    customers(query: "__FILTER__") {
      edges {
        node {
          id
          createdAt
          updatedAt
          state
          tags
        }
      }
    }
  }
`;

export const ORDERS_BULK_QUERY = `#graphql
  query BulkOrders {
    orders(query: "__FILTER__") {
      edges {
        node {
          id
          createdAt
          processedAt
          updatedAt
          cancelledAt
          currencyCode
          test
          displayFinancialStatus
          discountCodes
          customer { id }
          totalPriceSet { shopMoney { amount } }
          subtotalPriceSet { shopMoney { amount } }
          totalDiscountsSet { shopMoney { amount } }
          refunds {
            id
            createdAt
            totalRefundedSet { shopMoney { amount } }
          }
          lineItems {
            edges {
              node {
                id
                quantity
                vendor
                product { id productType }
                variant { id }
                originalUnitPriceSet { shopMoney { amount } }
              }
            }
          }
        }
      }
    }
  }
`;

/** The document with its filter filled in (and the graphql marker comment dropped). */
export function withFilter(document: string, filter: string): string {
  return document.replace("#graphql", "").replace('"__FILTER__"', JSON.stringify(filter)).trim();
}
