import type { AdminClient } from "./admin-client.server";
import type { TagsUserError } from "./tags-add.server";

export const TAGS_REMOVE = `#graphql
  mutation PushTagsRemove($id: ID!, $tags: [String!]!) {
    tagsRemove(id: $id, tags: $tags) {
      node { id }
      userErrors { field message }
    }
  }
`;

/** Removes exactly these tags from one resource. Returns Shopify's user errors (empty: done). */
export async function tagsRemove(admin: AdminClient, id: string, tags: string[]): Promise<TagsUserError[]> {
  const data = await admin.request<{ tagsRemove: { node: { id: string } | null; userErrors: TagsUserError[] } }>(TAGS_REMOVE, { id, tags });
  return data.tagsRemove.userErrors;
}
