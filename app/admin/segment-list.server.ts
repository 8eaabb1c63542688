// The shop's segments with their settings in effect (catalogue defaults merged with the shop's
// changes, RFM groups, custom segments), from the segment engine.
import type { SettingDef } from "../segments/catalogue";
import type { Rule } from "../segments/rules";
import { listSegments } from "../segments/index.server";

export interface SegmentInfo {
  key: string;
  kind: "catalogue" | "rfm" | "custom";
  name: string;
  enabled: boolean;
  settings: Record<string, number>;
  defaults: Record<string, number>;
  definitions: Record<string, SettingDef>;
  rule?: Rule;
}

export async function listShopSegments(shopId: number): Promise<SegmentInfo[]> {
  return listSegments(shopId);
}

export async function findShopSegment(shopId: number, key: string): Promise<SegmentInfo | null> {
  return (await listShopSegments(shopId)).find((s) => s.key === key) ?? null;
}
