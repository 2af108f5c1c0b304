/** The live training loss as a small SVG line (no chart library needed for one series). */
export function LossChart({ losses }: { losses: number[] }) {
  const w = 300;
  const h = 90;
  if (losses.length < 2) {
    return (
      <div className="loss-chart muted small" data-testid="loss-chart">
        Waiting for the first epochs…
      </div>
    );
  }
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const span = hi - lo || 1;
  const pts = losses
    .map((l, i) => `${(i / (losses.length - 1)) * w},${h - 4 - ((l - lo) / span) * (h - 8)}`)
    .join(' ');
  return (
    <figure className="loss-chart" data-testid="loss-chart">
      <svg width={w} height={h} role="img" aria-label={`Training loss, last ${losses.at(-1)!.toFixed(4)}`}>
        <polyline points={pts} fill="none" stroke="#7a2e5a" strokeWidth={2} />
      </svg>
      <figcaption className="small muted">
        loss {losses.at(-1)!.toFixed(4)} (min {lo.toFixed(4)}) over {losses.length} updates
      </figcaption>
    </figure>
  );
}
