import { useCallback, useEffect, useState } from 'react';
import type { GeneHit, MethodOutput, RasterLayer, RunInfo } from '../../../../preload/contract';

type FeatureSet = MethodOutput<'features.list'>[number];

export type SpotSet = MethodOutput<'layers.spotSet'>;
import { api } from '../../api';
import { useToasts } from '../../components/toasts';
import { LossChart } from './LossChart';

/**
 * Super-resolution for a sample: start HISTEX (or its iStar ablation), watch the loss, and choose
 * which raster layers sit over the slide (the SR map of the selected gene, the feature PCA).
 */
export function SrPanel({
  sampleId,
  gene,
  onRasters,
  onSpotSet,
  split,
  onSplit,
  onRun,
}: {
  sampleId: number;
  gene: GeneHit | null;
  onRasters: (layers: RasterLayer[]) => void;
  /** a generated denser spot set (HisToSGE) to draw instead of the measured spots, or null */
  onSpotSet: (set: SpotSet | null) => void;
  split: boolean;
  onSplit: (on: boolean) => void;
  /** the selected run; when given, the viewer draws the SR map itself (no PNG is requested) */
  onRun?: (run: RunInfo | null) => void;
}) {
  const toasts = useToasts();
  const [runs, setRuns] = useState<RunInfo[]>([]);
  const [runId, setRunId] = useState<number | null>(null);
  const [epochs, setEpochs] = useState(20);
  const [method, setMethod] = useState<'histex' | 'istar' | 'histosge' | 'interp'>('histex');
  const spotSet = method === 'histosge' || method === 'interp';
  const [fold, setFold] = useState<4 | 9 | 16>(4);
  const [showSr, setShowSr] = useState(true);
  const [showFeatures, setShowFeatures] = useState(false);
  const [srLayer, setSrLayer] = useState<RasterLayer | null>(null);
  const [featLayer, setFeatLayer] = useState<RasterLayer | null>(null);
  const [live, setLive] = useState<{ jobId: number; losses: number[] } | null>(null);
  const [featureSets, setFeatureSets] = useState<FeatureSet[]>([]);
  /** '' = HISTEX's own weights-free features; else a stored feature set's id */
  const [featureSetId, setFeatureSetId] = useState<number | ''>('');

  const reloadFeatureSets = useCallback(
    () => api['features.list']({ sampleId }).then(setFeatureSets, toasts.error),
    [sampleId, toasts],
  );
  useEffect(() => {
    void reloadFeatureSets();
    return api.onEvent((e) => {
      if (e.type !== 'job' || e.job.state !== 'done') return;
      // sr.histex extracts the built-in set itself when the sample has none
      if (e.job.kind === 'features.extract' || e.job.kind === 'sr.histex') void reloadFeatureSets();
    });
  }, [reloadFeatureSets]);

  const reload = useCallback(
    (newest: boolean) =>
      api['runs.list']({ sampleId }).then((r) => {
        setRuns(r);
        if (r[0]) setRunId((id) => (newest || id === null ? r[0]!.id : id));
      }, toasts.error),
    [sampleId, toasts],
  );
  useEffect(() => {
    void reload(false);
    return api.onEvent((e) => {
      if (e.type === 'runs-changed' && e.sampleId === sampleId) void reload(true);
      // A cancelled or failed training leaves no "waiting for the first epochs" behind.
      if (e.type === 'job' && ['cancelled', 'failed', 'interrupted'].includes(e.job.state))
        setLive((l) => (l && l.jobId === e.job.id ? null : l));
      if (e.type === 'job' && (e.job.kind === 'sr.histex' || e.job.kind === 'sr.histosge')) {
        const loss = e.job.metrics['loss'] ?? e.job.metrics['trainLoss'];
        setLive((l) =>
          l && l.jobId === e.job.id && loss !== undefined && l.losses.at(-1) !== loss
            ? { ...l, losses: [...l.losses, loss] }
            : l,
        );
      }
    });
  }, [reload, sampleId]);

  const run = runs.find((r) => r.id === runId) ?? null;
  const modelled = run !== null && gene !== null && run.genes.some((g) => g.index === gene.index);

  useEffect(() => {
    if (!run || !gene || !showSr || !modelled || run.output !== 'spots') return;
    let on = true;
    api['layers.spotSet']({ runId: run.id, gene: gene.index }).then((s) => on && onSpotSet(s), toasts.error);
    return () => {
      on = false;
      onSpotSet(null);
    };
  }, [run, gene, showSr, modelled, toasts, onSpotSet]);

  useEffect(() => onRun?.(showSr ? run : null), [run, showSr, onRun]);

  useEffect(() => {
    if (onRun || !run || !gene || !showSr || !modelled || run.output !== 'superpixels') return;
    let on = true;
    api['layers.srGene']({ runId: run.id, gene: gene.index }).then((l) => on && setSrLayer(l), toasts.error);
    return () => {
      on = false;
      setSrLayer(null);
    };
  }, [run, gene, showSr, modelled, toasts, onRun]);

  useEffect(() => {
    if (!showFeatures) return;
    let on = true;
    api['layers.featuresPca']({ sampleId }).then(
      (l) => on && setFeatLayer(l),
      (e: unknown) => {
        toasts.error(e);
        setShowFeatures(false);
      },
    );
    return () => {
      on = false;
      setFeatLayer(null);
    };
  }, [showFeatures, sampleId, toasts]);

  useEffect(() => {
    onRasters([...(featLayer ? [featLayer] : []), ...(srLayer ? [srLayer] : [])]);
  }, [featLayer, srLayer, onRasters]);

  const start = async () => {
    try {
      const { jobId } = await api['runs.start'](
        spotSet
          ? { sampleId, method, epochs, genes: 100, fold, ...(gene ? { include: [gene.index] } : {}) }
          : {
              sampleId,
              method,
              epochs,
              genes: 200,
              ...(gene ? { include: [gene.index] } : {}),
              ...(featureSetId !== '' ? { featureSetId } : {}),
            },
      );
      setLive(method === 'interp' ? null : { jobId, losses: [] });
      const name = { histex: 'HISTEX', istar: 'iStar', histosge: 'HisToSGE', interp: 'Interpolation' }[
        method
      ];
      toasts.info(method === 'interp' ? `${name} started` : `${name} started (${epochs} epochs)`);
    } catch (e) {
      toasts.error(e);
    }
  };
  const extract = async () => {
    try {
      await api['features.run']({ sampleId });
      toasts.info('Extracting histology features; tick "Features" again when the job is done.');
    } catch (e) {
      toasts.error(e);
    }
  };

  return (
    <aside className="sr-panel" aria-label="Super-resolution">
      <h2>Super-resolution</h2>
      <div className="row">
        <select
          aria-label="SR method"
          value={method}
          onChange={(e) => setMethod(e.target.value as typeof method)}
        >
          <option value="histex">HISTEX</option>
          <option value="istar">iStar (HISTEX without BCA)</option>
          <option value="histosge">HisToSGE (denser spots)</option>
          <option value="interp">Interpolation (denser spots, baseline)</option>
        </select>
        {spotSet && (
          <select
            aria-label="Fold"
            value={fold}
            onChange={(e) => setFold(Number(e.target.value) as 4 | 9 | 16)}
          >
            <option value={4}>4×</option>
            <option value={9}>9×</option>
            <option value={16}>16×</option>
          </select>
        )}
        {!spotSet && (
          <select
            aria-label="Histology features"
            title="Histology input: HISTEX's own weights-free features, or a stored feature set (e.g. UNI)"
            value={featureSetId}
            onChange={(e) => setFeatureSetId(e.target.value === '' ? '' : Number(e.target.value))}
          >
            <option value="">built-in features</option>
            {featureSets.map((f) => (
              <option key={f.id} value={f.id}>
                #{f.id} {f.extractor} ({f.dim}-d)
              </option>
            ))}
          </select>
        )}
        {method !== 'interp' && (
          <label className="inline">
            epochs
            <input
              type="number"
              min={1}
              max={5000}
              value={epochs}
              aria-label="Epochs"
              onChange={(e) => setEpochs(Math.max(1, Number(e.target.value) || 1))}
            />
          </label>
        )}
        <button onClick={() => void start()}>{method === 'interp' ? 'Run' : 'Train'}</button>
      </div>
      {live && <LossChart losses={live.losses} />}
      {runs.length > 0 && (
        <div className="row">
          <select aria-label="SR run" value={runId ?? ''} onChange={(e) => setRunId(Number(e.target.value))}>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                #{r.id} {r.method}
                {r.output === 'spots' ? ' spots' : ''}: {r.genes.length} genes
              </option>
            ))}
          </select>
          <label className="inline">
            <input type="checkbox" checked={showSr} onChange={(e) => setShowSr(e.target.checked)} /> SR layer
          </label>
          <label className="inline">
            <input type="checkbox" checked={split} onChange={(e) => onSplit(e.target.checked)} /> side by side
          </label>
        </div>
      )}
      {run && gene && !modelled && (
        <p className="small muted">
          {gene.symbol} was not among the genes of run #{run.id}; pick one of its genes.
        </p>
      )}
      {run && !gene && <p className="small muted">Pick a gene above to see its SR map.</p>}
      <div className="row">
        <label className="inline">
          <input type="checkbox" checked={showFeatures} onChange={(e) => setShowFeatures(e.target.checked)} />{' '}
          Features (PCA)
        </label>
        <button className="link" onClick={() => void extract()}>
          extract features
        </button>
      </div>
    </aside>
  );
}
