/**
 * Estimates seconds left from the progress history. Uses the rate over a sliding window so an
 * early slow phase (loading) does not distort the estimate for the rest; null until it has signal.
 */
export class EtaEstimator {
  private samples: { t: number; f: number }[] = [];
  constructor(private readonly windowMs = 30_000) {}

  update(fraction: number, nowMs: number): number | null {
    this.samples.push({ t: nowMs, f: fraction });
    while (this.samples.length > 2 && nowMs - this.samples[0]!.t > this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const df = fraction - first.f;
    const dt = nowMs - first.t;
    if (df <= 1e-6 || dt < 500 || fraction <= 0) return null;
    return ((1 - fraction) * dt) / df / 1000;
  }
}
