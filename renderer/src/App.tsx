import { useCallback, useEffect, useState } from 'react';
import type { CohortInfo, JobInfo, ProjectInfo, SampleSummary } from '../../preload/contract';
import { api } from './api';
import { ConnectionBanner } from './components/connection-banner';
import { HelpOverlay } from './components/HelpOverlay';
import { ToastProvider, useToasts } from './components/toasts';
import { CohortView } from './features/cohort/CohortView';
import { JobsDrawer } from './features/jobs/JobsDrawer';
import { ProjectPicker } from './features/project/ProjectPicker';
import { SampleList } from './features/samples/SampleList';
import { SampleView } from './features/viewer/SampleView';
import { ApiError } from './lib/api-error';

function Shell() {
  const toasts = useToasts();
  const [project, setProject] = useState<ProjectInfo | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [samples, setSamples] = useState<SampleSummary[]>([]);
  const [jobs, setJobs] = useState<JobInfo[]>([]);
  const [jobsOpen, setJobsOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [selected, setSelected] = useState<number | null>(null);
  // A cohort opened read-only (docs/cohort.md); shown instead of the project until one is opened.
  const [cohort, setCohort] = useState<CohortInfo | null>(null);
  const [cohortShown, setCohortShown] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const [s, j] = await Promise.all([api['samples.list']({}), api['jobs.list']({})]);
      setSamples(s);
      setJobs(j);
    } catch (e) {
      toasts.error(e);
    }
  }, [toasts]);

  useEffect(() => {
    api['app.info']({}).then(
      (info) => {
        setProject(info.project);
        setLoaded(true);
      },
      (e: unknown) => {
        toasts.error(e);
        setLoaded(true);
      },
    );
  }, [toasts]);

  useEffect(() => {
    if (!project) return;
    let live = true;
    Promise.all([api['samples.list']({}), api['jobs.list']({})]).then(
      ([s, j]) => {
        if (!live) return;
        setSamples(s);
        setJobs(j);
      },
      (e: unknown) => toasts.error(e),
    );
    return () => {
      live = false;
    };
  }, [project, toasts]);

  useEffect(
    () =>
      api.onEvent((event) => {
        if (event.type === 'job') {
          setJobs((list) => {
            const rest = list.filter((j) => j.id !== event.job.id);
            return [event.job, ...rest].sort((a, b) => b.id - a.id);
          });
          if (event.job.state === 'failed' && event.job.error) {
            const { message, hint } = event.job.error;
            toasts.error(
              new ApiError({
                code: 'INTERNAL',
                message: `${event.job.title} failed: ${message}`,
                ...(hint ? { hint } : {}),
              }),
            );
          }
        } else if (event.type === 'samples-changed') void refresh();
        else if (event.type === 'project') setProject(event.project);
      }),
    [refresh, toasts],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (e.key === 'j' && !e.ctrlKey && !e.metaKey) setJobsOpen((o) => !o);
      if (e.key === '?') setHelpOpen((o) => !o);
      if (e.key === 'Escape') {
        setJobsOpen(false);
        setHelpOpen(false);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (!loaded) return <div className="loading">Loading…</div>;
  if (cohort && cohortShown)
    return (
      <CohortView
        cohort={cohort}
        onOpenProject={(p) => {
          setSelected(null);
          setProject(p);
          setCohortShown(false);
        }}
        onClose={() => setCohort(null)}
      />
    );
  if (!project)
    return (
      <ProjectPicker
        onOpened={setProject}
        onCohortOpened={(c) => {
          setCohort(c);
          setCohortShown(true);
        }}
      />
    );

  const active = jobs.filter((j) => j.state === 'running' || j.state === 'queued').length;
  const sample = samples.find((s) => s.id === selected) ?? null;
  return (
    <div className="app">
      <ConnectionBanner onReconnected={refresh} />
      <header className="topbar">
        <span className="brand">STSR Studio</span>
        <span className="project-name" title={project.dir}>
          {project.name}
        </span>
        <span className="spacer" />
        {cohort && (
          <button onClick={() => setCohortShown(true)} title={cohort.file}>
            Cohort {cohort.name}
          </button>
        )}
        <button onClick={() => setHelpOpen((o) => !o)} title="Keyboard shortcuts (?)" aria-label="Help">
          ?
        </button>
        <button
          className="jobs-button"
          onClick={() => setJobsOpen((o) => !o)}
          title="Jobs (J)"
          aria-expanded={jobsOpen}
        >
          Jobs{active > 0 && <span className="count">{active}</span>}
        </button>
      </header>
      <div className="body">
        <SampleList
          samples={samples}
          selectedId={selected}
          onSelect={setSelected}
          onImportStarted={() => setJobsOpen(true)}
        />
        <main className="workspace">
          {sample ? (
            <SampleView key={sample.id} sampleId={sample.id} projectDir={project.dir} />
          ) : (
            <div className="empty-state">
              <p>Select a sample, or import one from the left.</p>
              <p className="muted small">Shortcuts: ? help · J jobs · Esc close panels</p>
            </div>
          )}
        </main>
        {jobsOpen && <JobsDrawer jobs={jobs} onClose={() => setJobsOpen(false)} />}
      </div>
      {helpOpen && <HelpOverlay onClose={() => setHelpOpen(false)} />}
    </div>
  );
}

export function App() {
  return (
    <ToastProvider>
      <Shell />
    </ToastProvider>
  );
}
