import { useEffect, useState } from 'react';
import type { CohortInfo, CohortSample, ProjectInfo } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';
import './cohort.css';

const fmt = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined ? '–' : v.toFixed(digits);

const totalSeconds = (s: CohortSample): number => s.steps.reduce((a, b) => a + (b.seconds ?? 0), 0);

const peakMb = (s: CohortSample): number | null => {
  const v = s.steps.map((x) => x.peakMb).filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
};

const ari = (s: CohortSample): string =>
  Object.entries(s.domains?.ari ?? {})
    .map(([column, a]) => `${column} ${a.toFixed(3)}`)
    .join(', ') || '–';

/** Step colours of the time bars (the report's palette, workflow/scripts/cohort_report.py). */
const STEP_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f'];

/**
 * A cohort run read-only (docs/cohort.md): per sample its counts, SR run, domains, step times and
 * peak memory, failures with their reason, the domain figure; "Open project" opens the sample's
 * own project in the app. Nothing here writes to the cohort's folder.
 */
export function CohortView({
  cohort,
  onOpenProject,
  onClose,
}: {
  cohort: CohortInfo;
  onOpenProject: (p: ProjectInfo) => void;
  onClose: () => void;
}) {
  const toasts = useToasts();
  const [selected, setSelected] = useState<string | null>(cohort.samples[0]?.name ?? null);
  const [busy, setBusy] = useState(false);
  const sample = cohort.samples.find((s) => s.name === selected) ?? null;
  const slowest = Math.max(1, ...cohort.samples.map(totalSeconds));

  const openProject = async (s: CohortSample) => {
    setBusy(true);
    try {
      onOpenProject(await api['project.open']({ dir: s.projectDir }));
    } catch (e) {
      toasts.error(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="cohort" aria-label="Cohort">
      <header className="cohort-head">
        <div>
          <h1>{cohort.name}</h1>
          <p className="muted small" title={cohort.file}>
            Cohort run of {cohort.created} · {cohort.counts.ok} of {cohort.counts.samples} samples finished
            {cohort.counts.failed > 0 && ` · ${cohort.counts.failed} failed`} · read-only
          </p>
          {!cohort.complete && (
            <p className="cohort-incomplete" role="status">
              Incomplete: the run stopped with failures. Fix them and run the workflow again; only the failed
              samples are computed.
            </p>
          )}
        </div>
        <button type="button" onClick={onClose}>
          Close cohort
        </button>
      </header>
      <div className="cohort-body">
        <div className="cohort-table-wrap">
          <table className="cohort-table">
            <thead>
              <tr>
                <th>sample</th>
                <th>status</th>
                <th>spots</th>
                <th>genes</th>
                <th>SR</th>
                <th>SR size</th>
                <th>final loss</th>
                <th>k</th>
                <th>ARI</th>
                <th>time</th>
                <th>peak MB</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {cohort.samples.map((s) => (
                <tr
                  key={s.name}
                  className={s.name === selected ? 'selected' : undefined}
                  onClick={() => setSelected(s.name)}
                  aria-selected={s.name === selected}
                >
                  <td>{s.name}</td>
                  <td>
                    <span className={`badge badge-${s.status === 'ok' ? 'done' : 'failed'}`}>{s.status}</span>
                  </td>
                  <td>{fmt(s.spots)}</td>
                  <td>{fmt(s.genes)}</td>
                  <td title={s.sr ? `run ${s.sr.runId ?? '–'}, ${s.sr.genes ?? '–'} genes` : undefined}>
                    {s.sr?.label ?? '–'}
                  </td>
                  <td>{s.sr ? `${fmt(s.sr.size)} ${s.sr.sizeUnit}` : '–'}</td>
                  <td>{fmt(s.sr?.finalLoss, 4)}</td>
                  <td>{fmt(s.domains?.k)}</td>
                  <td>{ari(s)}</td>
                  <td>
                    <TimeBar sample={s} scale={slowest} />
                  </td>
                  <td>{fmt(peakMb(s))}</td>
                  <td>
                    <button
                      type="button"
                      disabled={busy || !s.projectExists}
                      title={s.projectExists ? s.projectDir : `No project at ${s.projectDir}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        void openProject(s);
                      }}
                    >
                      Open project
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">
            Time: wall seconds of each step (import, features, sr, cluster, export); peak MB: the largest
            resident memory of a step. Click a row for its figure and details.
          </p>
        </div>
        {sample && <SampleDetail key={sample.name} file={cohort.file} sample={sample} />}
      </div>
    </main>
  );
}

function TimeBar({ sample, scale }: { sample: CohortSample; scale: number }) {
  const total = totalSeconds(sample);
  return (
    <span
      className="cohort-timebar"
      title={sample.steps.map((s) => `${s.step} ${fmt(s.seconds, 1)} s`).join(' · ')}
    >
      <span className="cohort-bars">
        {sample.steps.map((s, i) => (
          <span
            key={s.step}
            style={{
              width: `${(100 * (s.seconds ?? 0)) / scale}%`,
              background: STEP_COLOURS[i % STEP_COLOURS.length],
            }}
          />
        ))}
      </span>
      {total > 0 ? `${total.toFixed(0)} s` : '–'}
    </span>
  );
}

function SampleDetail({ file, sample }: { file: string; sample: CohortSample }) {
  const [figure, setFigure] = useState<string | null>(null);
  const [figureError, setFigureError] = useState<string | null>(null);

  useEffect(() => {
    if (!sample.hasFigure) return;
    let live = true;
    api['cohort.figure']({ file, sample: sample.name }).then(
      (f) => live && setFigure(`data:${f.mime};base64,${f.base64}`),
      (e: unknown) => live && setFigureError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [file, sample]);

  return (
    <aside className="cohort-detail" aria-label={`Sample ${sample.name}`}>
      <h2>{sample.name}</h2>
      {figure && <img className="cohort-figure" src={figure} alt={`${sample.name}: tissue domains`} />}
      {figureError && <p className="muted small">Figure: {figureError}</p>}
      {!sample.hasFigure && <p className="muted small">No figure: the sample did not finish.</p>}
      <table className="cohort-steps">
        <thead>
          <tr>
            <th>step</th>
            <th>wall s</th>
            <th>peak MB</th>
          </tr>
        </thead>
        <tbody>
          {sample.steps.map((s) => (
            <tr key={s.step}>
              <td>{s.step}</td>
              <td>{fmt(s.seconds, 1)}</td>
              <td>{fmt(s.peakMb)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sample.domains && (
        <p className="small">
          {sample.domains.k} domains: {sample.domains.sizes.join(' / ')} spots
        </p>
      )}
      {sample.failures.length > 0 && (
        <>
          <h3>Failures</h3>
          <ul className="cohort-failures">
            {sample.failures.map((f) => (
              <li key={f.step}>
                <strong>{f.step}</strong> ({f.code}
                {f.exitCode !== null && `, exit ${f.exitCode}`}): {f.message}
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="muted small" title={sample.projectDir}>
        Project: {sample.projectDir}
      </p>
    </aside>
  );
}
