import { useCallback, useRef, useState } from 'react';
import type { GeneHit } from '../../../../preload/contract';
import { restoreStack, type LayerStack } from '../layers/layer-stack';

/** What the viewer remembers per sample: survives sample switches and reloads. */
export interface ViewState {
  gene: GeneHit | null;
  stack: LayerStack;
  viewport: { x: number; y: number; width: number; height: number } | null;
}

const key = (projectDir: string, sampleId: number) => `stsr.view.${projectDir}.${sampleId}`;

/** Reads the saved state (null when none or unreadable: a bad entry never breaks the viewer). */
export function readViewState(projectDir: string, sampleId: number): ViewState | null {
  try {
    const raw = localStorage.getItem(key(projectDir, sampleId));
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
 * The sample's saved view state (read once, synchronously: opening a sample waits for nothing)
 * and a saver that writes the latest state at most every 300 ms. Keyed by project folder and
 * sample id, since ids repeat across projects.
 */
export function useViewState(
  projectDir: string,
  sampleId: number,
): { saved: ViewState | null; save: (s: ViewState) => void } {
  const [saved] = useState(() => readViewState(projectDir, sampleId));
  const timer = useRef<number | null>(null);
  const pending = useRef<ViewState | null>(null);
  const save = useCallback(
    (s: ViewState) => {
      pending.current = s;
      timer.current ??= window.setTimeout(() => {
        timer.current = null;
        if (pending.current) localStorage.setItem(key(projectDir, sampleId), JSON.stringify(pending.current));
      }, 300);
    },
    [projectDir, sampleId],
  );
  return { saved, save };
}
