import { cssGradient, type ColormapName } from '../../lib/colormaps';

export function ColorBar({
  label,
  range,
  colormap,
}: {
  label: string;
  range: [number, number];
  colormap: ColormapName;
}) {
  return (
    <div className="colorbar" data-testid="colorbar">
      <div className="colorbar-label">{label}</div>
      <div className="colorbar-ramp" style={{ background: cssGradient(colormap) }} />
      <div className="colorbar-ticks">
        <span>{range[0].toFixed(2)}</span>
        <span>{((range[0] + range[1]) / 2).toFixed(2)}</span>
        <span>{range[1].toFixed(2)}</span>
      </div>
    </div>
  );
}
