import { useCallback, useRef, useState } from 'react';
import type { Annotation } from '../../../../preload/contract';

/** One edit: before/after states of a region (null = it did not exist). */
export interface RegionEdit {
  before: Annotation | null;
  after: Annotation | null;
}

/**
 * Undo/redo of region edits. Undoing a deletion re-creates the region, which gives it a new id;
 * `remap` rewrites that id through both stacks so later steps still find it.
 */
export function useRegionHistory(limit = 100) {
  const undoStack = useRef<RegionEdit[]>([]);
  const redoStack = useRef<RegionEdit[]>([]);
  const [depth, setDepth] = useState({ undo: 0, redo: 0 });
  const bump = () => setDepth({ undo: undoStack.current.length, redo: redoStack.current.length });
  const record = useCallback(
    (e: RegionEdit) => {
      undoStack.current = [...undoStack.current.slice(-(limit - 1)), e];
      redoStack.current = [];
      bump();
    },
    [limit],
  );
  const popUndo = useCallback((): RegionEdit | null => {
    const e = undoStack.current.pop() ?? null;
    if (e) redoStack.current.push(e);
    bump();
    return e;
  }, []);
  const popRedo = useCallback((): RegionEdit | null => {
    const e = redoStack.current.pop() ?? null;
    if (e) undoStack.current.push(e);
    bump();
    return e;
  }, []);
  const remap = useCallback((from: number, to: number) => {
    const fix = (a: Annotation | null) => (a && a.id === from ? { ...a, id: to } : a);
    for (const s of [undoStack.current, redoStack.current])
      for (const e of s) {
        e.before = fix(e.before);
        e.after = fix(e.after);
      }
  }, []);
  const clear = useCallback(() => {
    undoStack.current = [];
    redoStack.current = [];
    bump();
  }, []);
  return {
    canUndo: depth.undo > 0,
    canRedo: depth.redo > 0,
    record,
    popUndo,
    popRedo,
    remap,
    clear,
  };
}
