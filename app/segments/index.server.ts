// The segment engine's public surface (sync, push-back and the admin import from here only).
export {
  recomputeCustomers,
  recomputeShop,
  reevaluateShop,
  explainMembership,
  segmentHistory,
  rfmMigration,
  type RecomputeShopOptions,
  type Explanation,
  type ExplainNode,
  type DailyPoint,
  type RfmMigration,
} from "./engine.server";
export {
  listSegments,
  getSegmentSettings,
  updateSegmentSettings,
  saveCustomSegment,
  deleteCustomSegment,
  validateCustomSegment,
  SegmentSettingsError,
  type SegmentSettings,
} from "./settings.server";
export { previewCustomSegment, compileCustomRule, compileCustomRule as compileRule } from "./custom.server";
export { validateRule, type Rule, type RuleError } from "./rules";
export { CATALOGUE, RFM_GROUPS, RFM_GRID, rfmGroupOf } from "./catalogue";
export { FEATURES, type FeatureName } from "./features";
export { closeEnginePool } from "./pool.server";
