import { useCallback, useRef, useState } from 'react';

/**
 * A bounded undo stack for cheap-to-copy values (domain edits). `push` records the value before a
 * change; `undo` returns the last one, or null when there is nothing to undo.
 */
export function useUndo<T>(limit = 50): {
  canUndo: boolean;
  push: (v: T) => void;
  undo: () => T | null;
  clear: () => void;
} {
  const stack = useRef<T[]>([]);
  const [depth, setDepth] = useState(0);
  const push = useCallback(
    (v: T) => {
      stack.current = [...stack.current.slice(-(limit - 1)), v];
      setDepth(stack.current.length);
    },
    [limit],
  );
  const undo = useCallback(() => {
    const last = stack.current.pop() ?? null;
    setDepth(stack.current.length);
    return last;
  }, []);
  const clear = useCallback(() => {
    stack.current = [];
    setDepth(0);
  }, []);
  return { canUndo: depth > 0, push, undo, clear };
}
