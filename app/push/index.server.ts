// Push-back's public surface (sync, the admin and the jobs import from here only).
export { pushShop, pushStatus, PUSH_BULK_THRESHOLD, type PushOptions, type PushReport } from "./push.server";
export { checkDrift, type DriftReport } from "./drift.server";
export { requestPush, startPushWorkers, sweepPushes, handlePushJob, PUSH_QUEUES } from "./jobs.server";
