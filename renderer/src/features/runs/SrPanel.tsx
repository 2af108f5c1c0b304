import { useCallback, useEffect, useState } from 'react';
import type { GeneHit, MethodInfo, MethodOutput, RasterLayer, RunInfo } from '../../../../preload/contract';

type FeatureSet = MethodOutput<'features.list'>[number];
type ExtractorInfo = MethodOutput<'features.extractors'>[number];

export type SpotSet = MethodOutput<'layers.spotSet'>;
import { api } from '../../api';
import { useToasts } from '../../components/toasts';
import { LossChart } from './LossChart';
import { OptionFields, optionDefaults, type OptionValues } from './OptionFields';

/**
 * Super-resolution for a sample: start any registered SR method (methods.list: its options become
 * fields, its presets a select), watch the loss, and choose which layers sit over the slide (the
 * SR map of the selected gene or a generated spot set, the feature PCA).
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
  const [methods, setMethods] = useState<MethodInfo[]>([]);
  const [methodId, setMethodId] = useState<string>('');
  const method = methods.find((m) => m.id === methodId) ?? null;
  const [preset, setPreset] = useState('default');
  const [options, setOptions] = useState<OptionValues>({});
  const [showSr, setShowSr] = useState(true);
  const [showFeatures, setShowFeatures] = useState(false);
  const [featLayer, setFeatLayer] = useState<RasterLayer | null>(null);
  const [live, setLive] = useState<{ jobId: number; losses: number[] } | null>(null);
  const [featureSets, setFeatureSets] = useState<FeatureSet[]>([]);
  /** '' = HISTEX's own weights-free features; else a stored feature set's id */
  const [featureSetId, setFeatureSetId] = useState<number | ''>('');
  const [extractors, setExtractors] = useState<ExtractorInfo[]>([]);
  const [extractor, setExtractor] = useState('builtin');

  useEffect(() => {
    api['methods.list']({}).then((list) => {
      const stored = list.filter((m) => m.stored);
      setMethods(stored);
      if (stored[0]) {
        setMethodId(stored[0].id);
        setOptions(optionDefaults(stored[0], 'default'));
      }
    }, toasts.error);
  }, [toasts]);
  useEffect(() => {
    api['features.extractors']({}).then(setExtractors, toasts.error);
  }, [toasts]);
  // a method's fields start at its defaults (plus the chosen preset)
  const choose = (id: string, p = 'default') => {
    const m = methods.find((x) => x.id === id);
    setMethodId(id);
    setPreset(p);
    if (m) setOptions(optionDefaults(m, p));
  };

  const reloadFeatureSets = useCallback(
    () => api['features.list']({ sampleId }).then(setFeatureSets, toasts.error),
    [sampleId, toasts],
  );
  useEffect(() => {
    void reloadFeatureSets();
    return api.onEvent((e) => {
      if (e.type !== 'job' || e.job.state !== 'done') return;
      // an SR run that reads a feature set extracts the built-in one itself when the sample has none
      if (e.job.kind === 'features.extract' || e.job.kind.startsWith('sr')) void reloadFeatureSets();
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
      if (e.type === 'job' && e.job.kind.startsWith('sr')) {
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
    onRasters(featLayer ? [featLayer] : []);
  }, [featLayer, onRasters]);

  const start = async () => {
    if (!method) return;
    try {
      const { jobId } = await api['runs.start']({
        sampleId,
        method: method.id,
        ...(preset !== 'default' ? { preset } : {}),
        options,
        ...(gene ? { include: [gene.index] } : {}),
        ...(featureSetId !== '' && method.needs.featureSet !== 'none' ? { featureSetId } : {}),
      });
      setLive(method.trains ? { jobId, losses: [] } : null);
      const epochs = typeof options['epochs'] === 'number' ? ` (${options['epochs']} epochs)` : '';
      toasts.info(`${method.label} started${method.trains ? epochs : ''}`);
    } catch (e) {
      toasts.error(e);
    }
  };
  const extract = async () => {
    try {
      await api['features.run']({ sampleId, extractor });
      const label = extractors.find((e) => e.id === extractor)?.label ?? extractor;
      toasts.info(
        `Extracting ${label} features; pick the new set under "Histology features" when the job is done.`,
      );
    } catch (e) {
      toasts.error(e);
    }
  };

  return (
    <aside className="sr-panel" aria-label="Super-resolution">
      <h2>Super-resolution</h2>
      <div className="row">
        <select aria-label="SR method" value={methodId} onChange={(e) => choose(e.target.value)}>
          {methods.map((m) => (
            <option key={m.id} value={m.id} title={m.description}>
              {m.label}
              {m.kind === 'spots' ? ' (denser spots)' : ''}
            </option>
          ))}
        </select>
        {method && Object.keys(method.presets).length > 1 && (
          <select aria-label="Preset" value={preset} onChange={(e) => choose(method.id, e.target.value)}>
            {Object.keys(method.presets).map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        )}
        {method && method.needs.featureSet !== 'none' && (
          <select
            aria-label="Histology features"
            title="Histology input: the method's own weights-free features, or a stored feature set (e.g. UNI)"
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
      </div>
      {method && <OptionFields method={method} values={options} onChange={setOptions} />}
      <div className="row">
        <button onClick={() => void start()} disabled={!method}>
          {method?.trains === false ? 'Run' : 'Train'}
        </button>
      </div>
      {live && <LossChart losses={live.losses} />}
      {runs.length > 0 && (
        <div className="row">
          <select aria-label="SR run" value={runId ?? ''} onChange={(e) => setRunId(Number(e.target.value))}>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                #{r.id} {r.method}
                {r.output === 'spots' ? ' spots' : ''}: {r.genes.length} genes ({r.label})
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
        <select
          aria-label="Feature extractor"
          title={extractors.find((e) => e.id === extractor)?.description ?? ''}
          value={extractor}
          onChange={(e) => setExtractor(e.target.value)}
        >
          {extractors.map((e) => (
            <option key={e.id} value={e.id} title={e.description}>
              {e.label}
            </option>
          ))}
        </select>
        <button className="link" onClick={() => void extract()}>
          extract features
        </button>
      </div>
    </aside>
  );
}
