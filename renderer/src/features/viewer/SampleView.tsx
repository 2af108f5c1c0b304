import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  ClusteringInfo,
  FigureLayerRequest,
  GeneHit,
  MethodOutput,
  RasterLayer,
  RunInfo,
  SampleDetail,
  ValueLayer,
} from '../../../../preload/contract';
import { DIVERGING } from '../../../../preload/contract/colormaps';
import { api, projectFileUrl } from '../../api';
import { useToasts } from '../../components/toasts';
import { categoricalColor } from '../../lib/colormaps';
import { formatCount } from '../../lib/format';
import { SpotIndex } from '../../lib/spot-index';
import { Turns } from '../../lib/turns';
import { CategoryLegend } from '../layers/CategoryLegend';
import type { DrawLayer, GridGeometry, SpotGeometry } from '../layers/layer-canvas';
import { LayerPanel, type LayerAvailability } from '../layers/LayerPanel';
import {
  LAYER_NAMES,
  autoRange,
  defaultStack,
  drawOrder,
  type LayerId,
  type LayerStack,
} from '../layers/layer-stack';
import { ColorBar } from './ColorBar';
import { GeneSearch } from './GeneSearch';
import { DomainsPanel } from '../domains/DomainsPanel';
import { SrPanel, type SpotSet } from '../runs/SrPanel';
import { ViewLink } from './view-link';
import { SlideViewer, type Inspection, type SpotCategories } from './SlideViewer';
import { ViewerHandleContext, type ViewerHandle } from './viewer-handle';
import { AnnotationsPanel } from '../annotations/AnnotationsPanel';
import { ExportDialog, type ScreenFigure } from '../export/ExportDialog';
import { useViewState } from './view-state';
import { useUncertaintyLayer } from './use-uncertainty-layer';

type SpotInfo = MethodOutput<'samples.spotInfo'>;

/** The same gene (index and name): a response for anything else is stale. */
const sameGene = (a: GeneHit | null, b: GeneHit | null) =>
  a !== null && b !== null && a.index === b.index && a.symbol === b.symbol;

/** Reads the saved view state first, so the viewer opens where the user left it. */
export function SampleView({ sampleId, projectDir }: { sampleId: number; projectDir: string }) {
  const { saved, save } = useViewState(projectDir, sampleId);
  return <SampleViewBody sampleId={sampleId} saved={saved} save={save} />;
}

/** A sample over its slide: gene colouring, the layer stack, SR and domains panels. */
function SampleViewBody({
  sampleId,
  saved,
  save,
}: {
  sampleId: number;
  saved: ReturnType<typeof useViewState>['saved'];
  save: ReturnType<typeof useViewState>['save'];
}) {
  const toasts = useToasts();
  const [detail, setDetail] = useState<SampleDetail | null>(null);
  const [gene, setGene] = useState<GeneHit | null>(saved?.gene ?? null);
  const [stack, setStack] = useState<LayerStack>(saved?.stack ?? defaultStack());
  const viewport = useRef(saved?.viewport ?? null);
  const [observed, setObserved] = useState<{ gene: GeneHit; values: number[] } | null>(null);
  const [categories, setCategories] = useState<SpotCategories | null>(null);
  const [side, setSide] = useState<'domains' | 'sr' | 'regions' | null>(null);
  // A panel mounts when first opened (its requests must not slow the sample's opening) and then
  // stays mounted, hidden, so its layers stay on screen while the other panel is open.
  const [opened, setOpened] = useState({ sr: false, domains: false });
  if (side && side !== 'regions' && !opened[side]) setOpened({ ...opened, [side]: true });
  const [layersOpen, setLayersOpen] = useState(true);
  const [rasters, setRasters] = useState<RasterLayer[]>([]);
  const [spotSet, setSpotSet] = useState<SpotSet | null>(null);
  const [domainsRaster, setDomainsRaster] = useState<RasterLayer | null>(null);
  const [shownClustering, setShownClustering] = useState<ClusteringInfo | null>(null);
  const [exportScreen, setExportScreen] = useState<ScreenFigure | null>(null);
  const [srRun, setSrRun] = useState<RunInfo | null>(null);
  const [sr, setSr] = useState<{ gene: GeneHit; layer: ValueLayer; grid: GridGeometry } | null>(null);
  const [spotInfo, setSpotInfo] = useState<SpotInfo | null>(null);
  const [split, setSplit] = useState(false);
  const [handle, setHandle] = useState<ViewerHandle | null>(null);
  const [link] = useState(() => new ViewLink());
  const [srTurns] = useState(() => new Turns());

  const persist = useCallback(
    (patch: Partial<{ gene: GeneHit | null; stack: LayerStack }>) =>
      save({ gene, stack, viewport: viewport.current, ...patch }),
    [save, gene, stack],
  );
  useEffect(() => persist({}), [persist]);

  const pickGene = (g: GeneHit) => {
    // A new gene starts from automatic ranges: a range typed for one gene means nothing for another.
    setGene(g);
    setStack((s) => ({
      ...s,
      styles: {
        ...s.styles,
        spots: { ...s.styles.spots, range: null },
        sr: { ...s.styles.sr, range: null },
      },
    }));
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'd') setSide((o) => (o === 'domains' ? null : 'domains'));
      if (e.key === 's') setSide((o) => (o === 'sr' ? null : 'sr'));
      if (e.key === 'r') setSide((o) => (o === 'regions' ? null : 'regions'));
      if (e.key === 'l') setLayersOpen((o) => !o);
      if (e.key === 'h' || e.key === '0') document.querySelector<HTMLButtonElement>('.home-button')?.click();
      if (e.key === 'g') {
        e.preventDefault();
        document.querySelector<HTMLInputElement>('input[aria-label="Gene"]')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    // The parent keys this view by sample, so state starts fresh for each sample.
    let live = true;
    performance.mark('stsr:sample-open');
    api['samples.get']({ sampleId }).then(
      (d) => live && setDetail(d),
      (e: unknown) => toasts.error(e),
    );
    api['samples.spotInfo']({ sampleId }).then(
      (s) => live && setSpotInfo(s),
      (e: unknown) => toasts.error(e),
    );
    return () => {
      live = false;
    };
  }, [sampleId, toasts]);

  useEffect(() => {
    if (!gene) return;
    let live = true;
    performance.mark('stsr:gene-picked');
    api['samples.expression']({ sampleId, gene: gene.index, symbol: gene.symbol, scale: 'log1p-cp10k' }).then(
      (r) => {
        // Only the gene on screen may colour the spots: anything else is a stale response.
        if (!live || !sameGene(r.gene, gene)) return;
        setObserved({ gene, values: r.values });
      },
      (e: unknown) => toasts.error(e),
    );
    return () => {
      live = false;
    };
  }, [gene, sampleId, toasts]);

  const srModelled = srRun !== null && gene !== null && srRun.genes.some((g) => sameGene(g, gene));
  useEffect(() => {
    if (!srRun || !gene || srRun.output !== 'superpixels' || !srModelled) return;
    let live = true;
    (async () => {
      // one map request at a time; a gene passed over while another was computed is never asked
      const layer = await srTurns.run(
        () => live,
        () => {
          performance.mark('stsr:sr-requested');
          return api['layers.srValues']({ runId: srRun.id, gene: gene.index, symbol: gene.symbol });
        },
      );
      if (!layer) return;
      performance.mark('stsr:sr-answered'); // the engine's part (the map computed or read back)
      const res = await fetch(projectFileUrl(layer.path), { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`The SR map file ${layer.path} could not be read (${res.status}).`);
      const values = new Float32Array(await res.arrayBuffer());
      performance.mark('stsr:sr-fetched');
      if (!live || !sameGene(layer.gene, gene)) return;
      setSr({
        gene,
        layer,
        grid: { values, rows: layer.rows, cols: layer.cols, x: layer.x, y: layer.y, cellPx: layer.cellPx },
      });
    })().catch((e: unknown) => live && toasts.error(e));
    return () => {
      live = false;
    };
  }, [srRun, gene, srModelled, toasts, srTurns]);

  const sdShown = useUncertaintyLayer(srRun, gene, toasts.error);
  const colouring = observed && sameGene(observed.gene, gene) ? observed : null;
  const srShown =
    sr && srRun && sr.layer.path.includes(`srv-${srRun.id}-`) && sameGene(sr.gene, gene) ? sr : null;
  const featRaster = rasters.find((r) => !r.path.includes('/sr-')) ?? null;
  const labels = spotInfo?.annotations[0] ?? null;
  const labelColours = useMemo(() => {
    if (!labels) return null;
    const names = [...new Set(labels.labels.filter((l) => l !== ''))].sort();
    const colour = new Map(names.map((n, i) => [n, categoricalColor(i)]));
    return { names, colour, colours: labels.labels.map((l) => colour.get(l) ?? '') };
  }, [labels]);

  // Paint marks for the viewer benchmark (the layers were handed to the canvas in the child's effect).
  useEffect(() => {
    if (colouring) performance.mark('stsr:gene-painted');
  }, [colouring]);
  useEffect(() => {
    if (srShown) performance.mark('stsr:sr-painted');
  }, [srShown]);

  // Each layer's automatic range is kept until its own values or percentile change: a new gene's
  // observed values, or a style change of another layer, must not re-rank a whole SR map.
  const st = stack.styles;
  const spotValues = spotSet && side === 'sr' ? spotSet.values : colouring?.values;
  const spotsAuto = useMemo(
    () =>
      spotValues ? autoRange(spotValues, st.spots.percentile, DIVERGING.has(st.spots.colormap)) : undefined,
    [spotValues, st.spots.percentile, st.spots.colormap],
  );
  const srAuto = useMemo(
    () =>
      srShown ? autoRange(srShown.grid.values, st.sr.percentile, DIVERGING.has(st.sr.colormap)) : undefined,
    [srShown, st.sr.percentile, st.sr.colormap],
  );
  const sdAuto = useMemo(
    () =>
      sdShown
        ? autoRange(sdShown.grid.values, st.uncertainty.percentile, DIVERGING.has(st.uncertainty.colormap))
        : undefined,
    [sdShown, st.uncertainty.percentile, st.uncertainty.colormap],
  );
  const autoRanges = useMemo(() => {
    const r: Partial<Record<LayerId, [number, number]>> = {};
    if (spotsAuto) r.spots = spotsAuto;
    if (srAuto) r.sr = srAuto;
    if (sdAuto) r.uncertainty = sdAuto;
    return r;
  }, [spotsAuto, srAuto, sdAuto]);
  const rangeOf = (id: LayerId): [number, number] => stack.styles[id].range ?? autoRanges[id] ?? [0, 1];

  const diameterPx = detail ? detail.spotDiameterUm / detail.summary.umPerPx : 0;
  const measured = useMemo<SpotGeometry | null>(
    () => (detail ? { x: detail.x, y: detail.y, diameterPx } : null),
    [detail, diameterPx],
  );
  const index = useMemo(
    () => (detail ? new SpotIndex(detail.x, detail.y, diameterPx) : null),
    [detail, diameterPx],
  );
  const generated = useMemo<SpotGeometry | null>(
    () =>
      spotSet && detail
        ? { x: spotSet.x, y: spotSet.y, diameterPx: spotSet.diameterUm / detail.summary.umPerPx }
        : null,
    [spotSet, detail],
  );

  const available: LayerAvailability = {
    slide: detail?.slide ? true : 'This sample has no image.',
    spots: true,
    sr: srShown
      ? true
      : !srRun
        ? 'No SR run chosen: open SR (S) and train or pick a run.'
        : srRun.output === 'spots'
          ? 'This run made denser spots: they replace the observed spots.'
          : !gene
            ? 'Pick a gene.'
            : !srModelled
              ? `Run #${srRun.id} did not model ${gene.symbol}.`
              : 'Loading…',
    uncertainty: sdShown
      ? true
      : !srRun
        ? 'No SR run chosen: open SR (S) and train or pick a run.'
        : srRun.uncertainty === undefined
          ? `${srRun.label} gives no uncertainty map (Diff-ST does).`
          : !gene
            ? 'Pick a gene.'
            : !srModelled
              ? `Run #${srRun.id} did not model ${gene.symbol}.`
              : 'Loading…',
    domains:
      categories || domainsRaster ? true : 'No domains shown: open Domains (D) and run or pick a clustering.',
    labels: labels ? true : 'This sample has no pathologist labels.',
    features: featRaster ? true : 'Tick "Features (PCA)" in the SR panel.',
  };

  /** The overlay layers bottom to top, for one viewer ('all', or a half of the side-by-side view). */
  const buildLayers = (only?: 'observed' | 'sr'): DrawLayer[] => {
    if (!measured) return [];
    const out: DrawLayer[] = [];
    for (const id of drawOrder(stack)) {
      const st = stack.styles[id];
      if (!st.visible || available[id] !== true) continue;
      if (only === 'observed' && id !== 'spots') continue;
      if (only === 'sr' && id !== 'sr') continue;
      const opacity = st.opacity;
      if (id === 'spots') {
        const useSet = spotSet && generated && side === 'sr' && only !== 'observed';
        if (useSet)
          out.push({
            kind: 'spot-values',
            id,
            opacity,
            spots: generated,
            values: spotSet.values,
            range: rangeOf('spots'),
            colormap: st.colormap,
          });
        else if (colouring)
          out.push({
            kind: 'spot-values',
            id,
            opacity,
            spots: measured,
            values: colouring.values,
            range: rangeOf('spots'),
            colormap: st.colormap,
          });
        else out.push({ kind: 'spot-plain', id, opacity, spots: measured });
      } else if (id === 'uncertainty' && sdShown)
        out.push({
          kind: 'grid',
          id,
          opacity,
          grid: sdShown.grid,
          range: rangeOf('uncertainty'),
          colormap: st.colormap,
        });
      else if (id === 'sr' && srShown)
        out.push({
          kind: 'grid',
          id,
          opacity,
          grid: srShown.grid,
          range: rangeOf('sr'),
          colormap: st.colormap,
        });
      else if (id === 'domains') {
        if (domainsRaster)
          out.push({
            kind: 'image',
            id,
            opacity,
            url: projectFileUrl(domainsRaster.path),
            x: domainsRaster.x,
            y: domainsRaster.y,
            width: domainsRaster.width,
          });
        else if (categories)
          out.push({ kind: 'spot-colours', id, opacity, spots: measured, colours: categories.colors });
      } else if (id === 'labels' && labelColours)
        out.push({ kind: 'spot-colours', id, opacity, spots: measured, colours: labelColours.colours });
      else if (id === 'features' && featRaster)
        out.push({
          kind: 'image',
          id,
          opacity,
          url: projectFileUrl(featRaster.path),
          x: featRaster.x,
          y: featRaster.y,
          width: featRaster.width,
        });
    }
    return out;
  };

  /** The visible layers as a figure request: what is on screen, with the same maps and ranges. */
  const screenFigure = (): ScreenFigure => {
    const layers: FigureLayerRequest[] = [];
    const names: string[] = [];
    const skipped: string[] = [];
    for (const id of drawOrder(stack)) {
      const st = stack.styles[id];
      if (!st.visible || available[id] !== true) continue;
      const opacity = st.opacity;
      let layer: FigureLayerRequest | null = null;
      if (id === 'spots' && !(spotSet && side === 'sr'))
        layer =
          colouring && gene
            ? { kind: 'spots', gene: gene.symbol, colormap: st.colormap, range: rangeOf('spots'), opacity }
            : { kind: 'spots', opacity };
      else if (id === 'sr' && srShown && srRun && gene)
        layer = {
          kind: 'sr',
          runId: srRun.id,
          gene: gene.symbol,
          colormap: st.colormap,
          range: rangeOf('sr'),
          opacity,
        };
      else if (id === 'domains' && shownClustering)
        layer = { kind: 'domains', clusteringId: shownClustering.id, opacity };
      else if (id === 'labels') layer = { kind: 'labels', opacity };
      if (layer) {
        layers.push(layer);
        names.push(LAYER_NAMES[id]);
      } else skipped.push(LAYER_NAMES[id]);
    }
    const b = handle?.viewer.viewport.getBounds(true);
    const w = handle?.worldWidthPx ?? 0;
    return {
      layers,
      names,
      skipped,
      slideOpacity,
      view: b && w ? { x: b.x * w, y: b.y * w, width: b.width * w, height: b.height * w } : null,
      title: [detail?.summary.name, gene?.symbol].filter(Boolean).join(' · '),
      ...(splitShown ? { panels: splitPanels() } : {}),
    };
  };

  /** The split view's halves as figure panels (each half's layer, titled as on screen), or why not. */
  const splitPanels = (): NonNullable<ScreenFigure['panels']> => {
    if (!gene || !colouring) return 'pick a gene first';
    if (!srShown || !srRun) return typeof available.sr === 'string' ? available.sr : 'no SR map on screen';
    const spots = stack.styles.spots;
    const srStyle = stack.styles.sr;
    return [
      {
        title: halfTitle('observed'),
        layers: [
          {
            kind: 'spots',
            gene: gene.symbol,
            colormap: spots.colormap,
            range: rangeOf('spots'),
            opacity: spots.opacity,
          },
        ],
      },
      {
        title: halfTitle('sr'),
        layers: [
          {
            kind: 'sr',
            runId: srRun.id,
            gene: gene.symbol,
            colormap: srStyle.colormap,
            range: rangeOf('sr'),
            opacity: srStyle.opacity,
          },
        ],
      },
    ];
  };

  /** What each half of the split view is called on screen, and in a side-by-side figure. */
  const halfTitle = (half: 'observed' | 'sr'): string =>
    half === 'observed'
      ? gene && colouring
        ? `${gene.symbol} observed spots`
        : 'Observed spots'
      : srShown
        ? srShown.layer.label
        : `SR run #${srRun?.id ?? ''}`;

  const inspect = (x: number, y: number): Inspection | null => {
    if (!detail || !index || !measured) return null;
    const lines: Inspection['lines'] = [];
    const i = index.nearest(x, y, diameterPx / 2);
    if (i >= 0) {
      lines.push({ label: 'Spot', value: detail.spotIds[i]! });
      const total = spotInfo?.totals[i];
      if (total !== undefined) lines.push({ label: 'Counts', value: formatCount(Math.round(total)) });
      if (colouring && gene) {
        const v = colouring.values[i]!;
        const raw = total !== undefined ? Math.round((Math.expm1(v) * total) / 1e4) : null;
        lines.push({
          label: `${gene.symbol} observed`,
          value: `${v.toFixed(3)} log1p CP10k${raw !== null ? ` (${raw} counts)` : ''}`,
        });
      }
    }
    if (srShown) {
      const g = srShown.grid;
      const c = Math.floor((x - g.x) / g.cellPx);
      const r = Math.floor((y - g.y) / g.cellPx);
      const v = r >= 0 && c >= 0 && r < g.rows && c < g.cols ? g.values[r * g.cols + c]! : NaN;
      if (Number.isFinite(v)) {
        if (i < 0) lines.push({ label: 'Superpixel', value: `row ${r}, col ${c}` });
        lines.push({ label: `${srShown.gene.symbol} SR`, value: `${v.toFixed(3)} counts per 8 µm` });
      }
    }
    if (i >= 0 && categories) lines.push({ label: 'Domain', value: categories.labels[i] || '—' });
    if (i >= 0 && labels) lines.push({ label: labels.name, value: labels.labels[i] || '—' });
    if (lines.length === 0) return null;
    return i >= 0 ? { lines, spot: { spots: measured, i } } : { lines };
  };

  const slideOpacity = stack.styles.slide.visible ? stack.styles.slide.opacity : 0;
  const splitShown = split && side === 'sr' && srRun !== null;
  if (!detail) return <div className="empty-state muted">Loading sample…</div>;
  const s = detail.summary;
  const onViewport = (b: { x: number; y: number; width: number; height: number }) => {
    viewport.current = b;
    persist({});
  };
  const spotLabel =
    spotSet && side === 'sr' ? spotSet.label : colouring && gene ? `${gene.symbol} log1p CP10k` : null;
  const visible = (id: LayerId) => stack.styles[id].visible && available[id] === true;

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
        <GeneSearch sampleId={sampleId} initial={gene?.symbol ?? ''} onPick={pickGene} />
        <button
          onClick={() => setExportScreen(screenFigure())}
          title="Export: AnnData, CSV or GeoJSON with the domains, or a figure of the view or a region"
        >
          Save as…
        </button>
        <button onClick={() => setLayersOpen((o) => !o)} aria-expanded={layersOpen} title="Layers (L)">
          Layers
        </button>
        <button
          onClick={() => setSide((o) => (o === 'domains' ? null : 'domains'))}
          aria-expanded={side === 'domains'}
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
        <button
          onClick={() => setSide((o) => (o === 'regions' ? null : 'regions'))}
          aria-expanded={side === 'regions'}
          title="Regions: draw, label, statistics (R)"
        >
          Regions
        </button>
      </div>
      <div className={side ? 'viewer-area with-side' : 'viewer-area'}>
        <ViewerHandleContext.Provider value={handle}>
          {splitShown ? (
            <div className="viewer-split" data-testid="split-view">
              {(['observed', 'sr'] as const).map((half) => (
                <div className="viewer-half" key={half}>
                  <SlideViewer
                    detail={detail}
                    layers={buildLayers(half)}
                    slideOpacity={slideOpacity}
                    inspect={inspect}
                    link={link}
                    linkId={half}
                    // the left half is the main viewer while split (a figure takes its view)
                    {...(half === 'observed' ? { onReady: setHandle, onViewport } : {})}
                  />
                  <span className="half-label">{halfTitle(half)}</span>
                  {half === 'sr' && srRun && available.sr !== true && (
                    <div className="half-reason" role="status">
                      {available.sr}
                      {srRun.genes.length > 0 &&
                        ` It modelled ${srRun.genes.length} genes, e.g. ${srRun.genes
                          .slice(0, 5)
                          .map((g) => g.symbol)
                          .join(', ')}.`}
                    </div>
                  )}
                </div>
              ))}
            </div>
          ) : (
            <SlideViewer
              detail={detail}
              layers={buildLayers()}
              slideOpacity={slideOpacity}
              inspect={inspect}
              onReady={setHandle}
              onViewport={onViewport}
              initialViewport={saved?.viewport ?? null}
            />
          )}
        </ViewerHandleContext.Provider>
        {layersOpen && (
          <LayerPanel stack={stack} onChange={setStack} available={available} autoRanges={autoRanges} />
        )}
        {opened.sr && (
          <div className="side-slot" hidden={side !== 'sr'}>
            <SrPanel
              split={split}
              onSplit={setSplit}
              sampleId={sampleId}
              gene={gene}
              onRasters={setRasters}
              onSpotSet={setSpotSet}
              onRun={setSrRun}
            />
          </div>
        )}
        {side === 'regions' && (
          <AnnotationsPanel
            sampleId={sampleId}
            viewer={handle}
            gene={gene?.symbol ?? null}
            umPerPx={detail.summary.umPerPx}
          />
        )}
        {opened.domains && (
          <div className="side-slot" hidden={side !== 'domains'}>
            <DomainsPanel
              sampleId={sampleId}
              defaultK={Math.max(2, detail.annotationClasses || 5)}
              onCategories={setCategories}
              onRaster={setDomainsRaster}
              onShown={setShownClustering}
            />
          </div>
        )}
        <div className="legend">
          {visible('sr') && srShown && (
            <ColorBar label={srShown.layer.label} range={rangeOf('sr')} colormap={stack.styles.sr.colormap} />
          )}
          {visible('uncertainty') && sdShown && (
            <ColorBar
              label={sdShown.layer.label}
              range={rangeOf('uncertainty')}
              colormap={stack.styles.uncertainty.colormap}
            />
          )}
          {visible('spots') && spotLabel && (
            <ColorBar label={spotLabel} range={rangeOf('spots')} colormap={stack.styles.spots.colormap} />
          )}
          {visible('domains') && categories && (
            <CategoryLegend
              title="Domains"
              entries={[...new Set(categories.labels)].map((name) => ({
                name,
                color: categories.colors[categories.labels.indexOf(name)]!,
              }))}
            />
          )}
          {visible('domains') && domainsRaster && shownClustering && (
            <CategoryLegend
              title={domainsRaster.label}
              entries={shownClustering.domains
                .filter((d) => d.mergedInto === null)
                .map((d) => ({ name: d.name, color: d.color }))}
            />
          )}
          {visible('labels') && labels && labelColours && (
            <CategoryLegend
              title={labels.name}
              entries={labelColours.names.map((name) => ({ name, color: labelColours.colour.get(name)! }))}
            />
          )}
        </div>
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
      {exportScreen && (
        <ExportDialog sampleId={sampleId} screen={exportScreen} onClose={() => setExportScreen(null)} />
      )}
    </section>
  );
}
