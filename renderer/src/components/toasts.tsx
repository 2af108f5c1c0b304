import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { ApiErrorBody } from '../../../preload/contract';
import { errorBody } from '../lib/api-error';

interface Toast {
  id: number;
  kind: 'error' | 'info';
  title: string;
  hint?: string;
}

interface ToastApi {
  error(err: unknown): void;
  info(title: string): void;
}

const ToastContext = createContext<ToastApi | null>(null);

let nextId = 1;

/** Errors say what went wrong and what to do (the hint); errors fade after 12 s, infos after 4 s; × dismisses. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const api = useMemo<ToastApi>(
    () => ({
      error(err) {
        const body: ApiErrorBody = errorBody(err);
        const toast: Toast = { id: nextId++, kind: 'error', title: body.message };
        if (body.hint) toast.hint = body.hint;
        setToasts((t) => [...t.slice(-4), toast]);
        // Errors stay long enough to read (and can be dismissed at once), then go.
        setTimeout(() => dismiss(toast.id), 12_000);
      },
      info(title) {
        const id = nextId++;
        setToasts((t) => [...t.slice(-4), { id, kind: 'info', title }]);
        setTimeout(() => dismiss(id), 4000);
      },
    }),
    [dismiss],
  );
  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toasts" role="region" aria-label="Notifications">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
            <div className="toast-title">{t.title}</div>
            {t.hint && <div className="toast-hint">{t.hint}</div>}
            <button className="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToasts(): ToastApi {
  const ctx = useContext(ToastContext);
  if (!ctx) throw new Error('useToasts outside ToastProvider');
  return ctx;
}
