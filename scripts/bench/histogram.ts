/**
 * @module
 * Latency histogram: log-scaled buckets (about 2 % wide) over microseconds, so that millions of
 * samples cost a fixed few kilobytes and histograms from several load-generator processes merge by
 * adding counts. The maximum is kept exactly.
 */

/** Buckets per doubling: 32 gives a bucket width of 2^(1/32) - 1 ≈ 2.2 %. */
const STEPS = 32;
/** Up to 2^31 µs (about 36 min): anything slower lands in the last bucket. */
const BUCKETS = 31 * STEPS + 1;

export interface HistogramData {
  counts: number[];
  max: number;
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  max = 0;

  record(us: number): void {
    const v = us < 1 ? 1 : us;
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log2(v) * STEPS));
    this.counts[i]!++;
    this.total++;
    if (v > this.max) this.max = v;
  }

  add(other: HistogramData): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i] ?? 0;
    for (const c of other.counts) this.total += c;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q (0..1), in µs: the upper edge of the bucket it falls in, capped at max. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, 2 ** ((i + 1) / STEPS));
    }
    return this.max;
  }

  toJSON(): HistogramData {
    return { counts: Array.from(this.counts), max: this.max };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }
}
