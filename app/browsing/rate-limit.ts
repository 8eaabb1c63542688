// A token bucket per key, in this process's memory. With several web processes each holds its own
// buckets, so the effective limit is per process (docs/decisions/0007-browsing-pixel.md).

export interface TokenBucketOptions {
  /** Events a key may send at once. */
  capacity: number;
  /** Events per second refilled. */
  refillPerSecond: number;
  /** Keys kept before idle full buckets are dropped. */
  maxKeys?: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly options: TokenBucketOptions) {}

  /** Takes `cost` tokens for `key` at `nowMs`; false (and nothing taken) when there are not enough. */
  take(key: string, cost: number, nowMs: number): boolean {
    const { capacity, refillPerSecond } = this.options;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= (this.options.maxKeys ?? 100_000)) this.prune(nowMs);
      b = { tokens: capacity, at: nowMs };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(capacity, b.tokens + ((nowMs - b.at) / 1000) * refillPerSecond);
    b.at = nowMs;
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  clear() {
    this.buckets.clear();
  }

  /** Seconds until `cost` tokens are available for `key`. */
  retryAfter(key: string, cost: number): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    return Math.max(1, Math.ceil((Math.min(cost, this.options.capacity) - b.tokens) / this.options.refillPerSecond));
  }

  private prune(nowMs: number) {
    const { capacity, refillPerSecond } = this.options;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((nowMs - b.at) / 1000) * refillPerSecond >= capacity) this.buckets.delete(key);
    }
    // Still full of active keys: forget the oldest half rather than grow without bound.
    if (this.buckets.size >= (this.options.maxKeys ?? 100_000)) {
      let drop = Math.floor(this.buckets.size / 2);
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}
