import { useEffect, useMemo, useState } from 'react';
import type { GeneHit, RasterLayer, SampleDetail } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';
import type { ColormapName } from '../../lib/colormaps';
import { formatCount } from '../../lib/format';
import { quantile } from '../../lib/spot-index';
import { ColorBar } from './ColorBar';
import { GeneSearch } from './GeneSearch';
import { DomainsPanel } from '../domains/DomainsPanel';
import { SrPanel, type SpotSet } from '../runs/SrPanel';
import { ViewLink } from './view-link';
import { ExportMenu } from './ExportMenu';
import { SlideViewer, type SpotCategories, type SpotColouring } from './SlideViewer';

/** A sample over its slide: gene colouring, colour range, opacity, colour map. */
export function SampleView({ sampleId }: { sampleId: number }) {
  const toasts = useToasts();
  const [detail, setDetail] = useState<SampleDetail | null>(null);
  const [gene, setGene] = useState<GeneHit | null>(null);
  const [observed, setObserved] = useState<{ gene: GeneHit; colouring: SpotColouring } | null>(null);
  // Only the values of the gene on screen colour the spots; anything else is a stale response.
  const colouring =
    observed && gene && observed.gene.index === gene.index && observed.gene.symbol === gene.symbol
      ? observed.colouring
      : null;
  const setColouring = (c: SpotColouring) => observed && setObserved({ ...observed, colouring: c });
  const [opacity, setOpacity] = useState(0.85);
  const [colormap, setColormap] = useState<ColormapName>('viridis');
  const [categories, setCategories] = useState<SpotCategories | null>(null);
  const [side, setSide] = useState<'domains' | 'sr' | null>(null);
  const [rasters, setRasters] = useState<RasterLayer[]>([]);
  const [spotSet, setSpotSet] = useState<SpotSet | null>(null);
  const [domainsRaster, setDomainsRaster] = useState<RasterLayer | null>(null);
  const [split, setSplit] = useState(false);
  const [link] = useState(() => new ViewLink());
  // A generated spot set (HisToSGE) is drawn in place of the measured spots, coloured by its values.
  const shownDetail = useMemo<SampleDetail | null>(() => {
    if (!detail || !spotSet || side !== 'sr') return detail;
    return {
      ...detail,
      x: spotSet.x,
      y: spotSet.y,
      spotIds: spotSet.measured.map((m, i) => (m ? `measured ${i}` : `generated ${i}`)),
      spotDiameterUm: spotSet.diameterUm,
    };
  }, [detail, spotSet, side]);
  const spotSetColouring = useMemo<SpotColouring | null>(() => {
    if (!spotSet || side !== 'sr') return null;
    const hi = quantile(spotSet.values, 0.99) || 1;
    return { label: spotSet.label, values: spotSet.values, range: [0, hi], colormap };
  }, [spotSet, side, colormap]);
  const domainsOpen = side === 'domains';

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) return;
      if (e.key === 'd' && !e.ctrlKey && !e.metaKey) setSide((o) => (o === 'domains' ? null : 'domains'));
      if (e.key === 's' && !e.ctrlKey && !e.metaKey) setSide((o) => (o === 'sr' ? null : 'sr'));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    // The parent keys this view by sample, so state starts fresh for each sample.
    let live = true;
    api['samples.get']({ sampleId }).then(
      (d) => live && setDetail(d),
      (e: unknown) => toasts.error(e),
    );
    return () => {
      live = false;
    };
  }, [sampleId, toasts]);

  useEffect(() => {
    if (!gene) return;
    let live = true;
    api['samples.expression']({ sampleId, gene: gene.index, symbol: gene.symbol, scale: 'log1p-cp10k' }).then(
      (r) => {
        if (!live || r.gene.index !== gene.index || r.gene.symbol !== gene.symbol) return;
        // Default range: 0 to the 99th percentile, so one hot spot does not wash out the rest.
        const hi = quantile(r.values, 0.99) || r.max || 1;
        setObserved({
          gene,
          colouring: {
            label: `${r.gene.symbol} log1p CP10k`,
            values: r.values,
            range: [Math.min(0, r.min), hi],
            colormap,
          },
        });
      },
      (e: unknown) => toasts.error(e),
    );
    return () => {
      live = false;
    };
  }, [gene, sampleId, toasts, colormap]);

  if (!detail) return <div className="empty-state muted">Loading sample…</div>;
  const s = detail.summary;
  const showCategories = domainsOpen && categories !== null;
  const legendColouring = spotSetColouring ?? colouring;
  // An SR raster on screen gets its own colour bar (its range is in counts per superpixel).
  const rasterLegend = side === 'sr' ? rasters.find((r) => r.range !== null) : undefined;
  // The range inputs edit the gene colouring; a spot set's range follows its values.
  const setRangeShown = (i: 0 | 1, v: number) => (spotSetColouring ? undefined : setRange(i, v));
  const setRange = (i: 0 | 1, v: number) =>
    colouring &&
    Number.isFinite(v) &&
    setColouring({ ...colouring, range: i === 0 ? [v, colouring.range[1]] : [colouring.range[0], v] });

  return (
    <section className="sample-view">
      <div className="toolbar">
        <strong>{s.name}</strong>
        <span className="muted small">
          {s.platform} · {formatCount(s.spots)} spots · {formatCount(s.genes)} genes · {s.umPerPx.toFixed(3)}{' '}
          µm/px
          {!detail.slide && ' · no image'}
        </span>
        <span className="spacer" />
        <GeneSearch sampleId={sampleId} onPick={setGene} />
        <label className="inline">
          Opacity
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={opacity}
            aria-label="Spot opacity"
            onChange={(e) => setOpacity(Number(e.target.value))}
          />
        </label>
        <select
          aria-label="Colour map"
          value={colormap}
          onChange={(e) => setColormap(e.target.value as ColormapName)}
        >
          <option value="viridis">viridis</option>
          <option value="magma">magma</option>
        </select>
        <ExportMenu sampleId={sampleId} gene={gene?.symbol ?? null} />
        <button
          onClick={() => setSide((o) => (o === 'domains' ? null : 'domains'))}
          aria-expanded={domainsOpen}
          title="Tissue domains (D)"
        >
          Domains
        </button>
        <button
          onClick={() => setSide((o) => (o === 'sr' ? null : 'sr'))}
          aria-expanded={side === 'sr'}
          title="Super-resolution (S)"
        >
          SR
        </button>
      </div>
      <div className={side ? 'viewer-area with-side' : 'viewer-area'}>
        {split && side === 'sr' && rasters.length > 0 ? (
          <div className="viewer-split" data-testid="split-view">
            {(['observed', 'sr'] as const).map((half) => (
              <div className="viewer-half" key={half}>
                <SlideViewer
                  detail={detail}
                  colouring={half === 'observed' ? colouring : null}
                  categories={null}
                  opacity={opacity}
                  {...(half === 'sr' ? { rasters, showSpots: false } : {})}
                  link={link}
                  linkId={half}
                />
                <span className="half-label">
                  {half === 'observed' ? 'Observed spots' : (rasters.at(-1)?.label ?? 'SR')}
                </span>
              </div>
            ))}
          </div>
        ) : (
          <SlideViewer
            detail={shownDetail ?? detail}
            colouring={showCategories ? null : (spotSetColouring ?? colouring)}
            categories={showCategories ? categories : null}
            opacity={opacity}
            rasters={side === 'sr' ? rasters : side === 'domains' && domainsRaster ? [domainsRaster] : []}
          />
        )}
        {side === 'sr' && (
          <SrPanel
            split={split}
            onSplit={setSplit}
            sampleId={sampleId}
            gene={gene}
            onRasters={setRasters}
            onSpotSet={setSpotSet}
          />
        )}
        {domainsOpen && (
          <DomainsPanel
            sampleId={sampleId}
            defaultK={Math.max(2, detail.annotationClasses || 5)}
            onCategories={setCategories}
            onRaster={setDomainsRaster}
          />
        )}
        {(rasterLegend?.range || (legendColouring && !showCategories)) && (
          <div className="legend">
            {rasterLegend?.range && (
              <ColorBar label={rasterLegend.label} range={rasterLegend.range} colormap="viridis" />
            )}
            {legendColouring && !showCategories && (
              <>
                <ColorBar
                  label={legendColouring.label}
                  range={legendColouring.range}
                  colormap={legendColouring.colormap}
                />
                <div className="range-inputs">
                  <input
                    type="number"
                    aria-label="Colour range minimum"
                    step="any"
                    value={legendColouring.range[0]}
                    onChange={(e) => setRangeShown(0, Number(e.target.value))}
                  />
                  <input
                    type="number"
                    aria-label="Colour range maximum"
                    step="any"
                    value={legendColouring.range[1]}
                    onChange={(e) => setRangeShown(1, Number(e.target.value))}
                  />
                </div>
              </>
            )}
          </div>
        )}
      </div>
      {detail.warnings.length > 0 && (
        <details className="warnings">
          <summary>{detail.warnings.length} import warning(s)</summary>
          <ul>
            {detail.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
