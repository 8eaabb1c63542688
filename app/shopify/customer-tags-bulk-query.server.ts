// The bulk query push-back's drift check runs (its text is sent inside bulkOperationRunQuery).
export const CUSTOMER_TAGS_BULK_QUERY = `#graphql
  query PushDriftCustomerTags {
    customers {
      edges {
        node {
          id
          tags
        }
      }
    }
  }
`;
