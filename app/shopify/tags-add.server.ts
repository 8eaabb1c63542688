import type { AdminClient } from "./admin-client.server";

export const TAGS_ADD = `#graphql
  mutation PushTagsAdd($id: ID!, $tags: [String!]!) {
    tagsAdd(id: $id, tags: $tags) {
      node { id }
      userErrors { field message }
    }
  }
`;

export interface TagsUserError {
  field: string[] | null;
  message: string;
}

/** Adds tags to one resource without touching its other tags. Returns Shopify's user errors (empty: done). */
export async function tagsAdd(admin: AdminClient, id: string, tags: string[]): Promise<TagsUserError[]> {
  const data = await admin.request<{ tagsAdd: { node: { id: string } | null; userErrors: TagsUserError[] } }>(TAGS_ADD, { id, tags });
  return data.tagsAdd.userErrors;
}
