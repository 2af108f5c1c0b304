import { useEffect, useRef } from 'react';
import type { MarkerGene } from '../../../../preload/contract';

/** Top marker genes of one domain as a plotly bar chart (t score), loaded on first use. */
export function MarkersChart({ genes, color, title }: { genes: MarkerGene[]; color: string; title: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let live = true;
    const node = el.current;
    void import('plotly.js-dist-min').then((Plotly) => {
      if (!live || !node) return;
      const shown = genes.slice(0, 15).reverse();
      void Plotly.newPlot(
        node,
        [
          {
            type: 'bar',
            orientation: 'h',
            x: shown.map((g) => g.score),
            y: shown.map((g) => g.symbol),
            marker: { color },
            hovertemplate: '%{y}: t = %{x:.2f}<extra></extra>',
          },
        ],
        {
          title: { text: title, font: { size: 13 } },
          margin: { l: 80, r: 10, t: 30, b: 30 },
          height: 320,
          xaxis: { title: { text: 't score vs other spots' } },
        },
        { displaylogo: false, responsive: true, toImageButtonOptions: { format: 'svg', filename: title } },
      );
    });
    return () => {
      live = false;
      if (node) void import('plotly.js-dist-min').then((Plotly) => Plotly.purge(node));
    };
  }, [genes, color, title]);
  return <div ref={el} className="markers-chart" data-testid="markers-chart" />;
}
