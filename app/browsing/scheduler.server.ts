// Runs refreshBrowsing for a shop shortly after linked customers sent events (debounced, one run
// per shop at a time, in this process). The marks are durable (browsing_dirty): a restart loses no
// work, the next run or the daily pass (runBrowsingMaintenance) drains them.
import { refreshBrowsing } from "./features.server";

const DELAY_MS = Number(process.env.BROWSING_REFRESH_DELAY_MS ?? 2000);
const pending = new Map<number, NodeJS.Timeout>();
const running = new Set<number>();

export function scheduleBrowsingRefresh(shopId: number) {
  // Tests drive refreshBrowsing themselves.
  if (process.env.NODE_ENV === "test" || DELAY_MS < 0 || pending.has(shopId)) return;
  const timer = setTimeout(async () => {
    pending.delete(shopId);
    if (running.has(shopId)) return scheduleBrowsingRefresh(shopId);
    running.add(shopId);
    try {
      await refreshBrowsing(shopId);
    } catch (error) {
      console.warn(`[browsing] refresh of shop ${shopId} failed (marks kept for the next run): ${(error as Error).message}`);
    } finally {
      running.delete(shopId);
    }
  }, DELAY_MS);
  timer.unref();
  pending.set(shopId, timer);
}
