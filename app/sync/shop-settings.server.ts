/** The sync-relevant shop settings, merged over their defaults. */
export interface SyncSettings {
  optOutTag: string;
  tagPrefix: string;
}

export const DEFAULT_SYNC_SETTINGS: SyncSettings = { optOutTag: "seg:opt-out", tagPrefix: "seg:" };

export function syncSettingsOf(settings: unknown): SyncSettings {
  const s = (typeof settings === "object" && settings !== null ? settings : {}) as Record<string, unknown>;
  return {
    optOutTag: typeof s.optOutTag === "string" && s.optOutTag.trim() ? s.optOutTag.trim() : DEFAULT_SYNC_SETTINGS.optOutTag,
    tagPrefix: typeof s.tagPrefix === "string" && s.tagPrefix ? s.tagPrefix : DEFAULT_SYNC_SETTINGS.tagPrefix,
  };
}

/** Tags compare case-insensitively in Shopify. */
export function sameTag(a: string, b: string) {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
