import { catalogueEntry, RFM_GROUPS } from "../segments/catalogue";
import type { CatalogueRule, Rule } from "../segments/rules";
import type { SegmentInfo } from "./segment-list.server";

/** The rule in effect for a segment, with the shop's thresholds filled in (for its definition). */
export function segmentRule(segment: SegmentInfo, lostOlderThanDays = 180): Rule | CatalogueRule | undefined {
  if (segment.kind === "custom") return segment.rule;
  if (segment.kind === "rfm") {
    const group = RFM_GROUPS.find((g) => `rfm-${g.key}` === segment.key);
    return group ? { op: "cmp", feature: "rfm_group", cmp: "=", value: group.key } : undefined;
  }
  const entry = catalogueEntry(segment.key);
  if (!entry) return undefined;
  // churn-quick / churn-late read lost's threshold as `lostOlderThanDays`.
  return entry.rule({ lostOlderThanDays, ...segment.settings });
}
