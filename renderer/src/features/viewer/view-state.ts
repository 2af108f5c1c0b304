import { useEffect, useRef, useState } from 'react';
import type { GeneHit } from '../../../../preload/contract';
import { api } from '../../api';
import { restoreStack, type LayerStack } from '../layers/layer-stack';

/** What the viewer remembers per sample: survives sample switches and reloads. */
export interface ViewState {
  gene: GeneHit | null;
  stack: LayerStack;
  viewport: { x: number; y: number; width: number; height: number } | null;
}

let projectDir: Promise<string> | null = null;
// Another project opened in the same session keys its views by its own folder.
api.onEvent((e) => {
  if (e.type === 'project') projectDir = null;
});
function projectKey(): Promise<string> {
  projectDir ??= api['project.info']({}).then((p) => p.dir);
  return projectDir;
}

const key = (dir: string, sampleId: number) => `stsr.view.${dir}.${sampleId}`;

/** Reads the saved state (null when none or unreadable: a bad entry never breaks the viewer). */
export function readViewState(dir: string, sampleId: number): ViewState | null {
  try {
    const raw = localStorage.getItem(key(dir, sampleId));
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<ViewState>;
    const gene =
      v.gene && typeof v.gene.symbol === 'string' && Number.isInteger(v.gene.index) ? v.gene : null;
    const vp = v.viewport;
    const viewport =
      vp && [vp.x, vp.y, vp.width, vp.height].every(Number.isFinite) && vp.width > 0 ? vp : null;
    return { gene, stack: restoreStack(v.stack), viewport };
  } catch {
    return null;
  }
}

/**
 * The sample's saved view state, loaded once (undefined while loading, null when there is none),
 * and a saver that writes the latest state at most every 300 ms.
 */
export function useViewState(sampleId: number): {
  saved: ViewState | null | undefined;
  save: (s: ViewState) => void;
} {
  const [saved, setSaved] = useState<ViewState | null | undefined>(undefined);
  const dir = useRef<string | null>(null);
  const pending = useRef<ViewState | null>(null);
  const timer = useRef<number | null>(null);
  useEffect(() => {
    let live = true;
    projectKey().then(
      (d) => {
        dir.current = d;
        if (live) setSaved(readViewState(d, sampleId));
      },
      () => live && setSaved(null),
    );
    return () => {
      live = false;
    };
  }, [sampleId]);
  const flush = () => {
    timer.current = null;
    if (dir.current && pending.current)
      localStorage.setItem(key(dir.current, sampleId), JSON.stringify(pending.current));
  };
  useEffect(
    () => () => {
      if (timer.current !== null) {
        window.clearTimeout(timer.current);
        flush();
      }
    },
    // flush reads refs only
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  return {
    saved,
    save: (s) => {
      pending.current = s;
      timer.current ??= window.setTimeout(flush, 300);
    },
  };
}
