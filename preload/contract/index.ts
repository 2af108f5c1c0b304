import type { z } from 'zod';
import type { Inputs, Outputs } from './schemas';
import type { ApiEvent } from './events';
import type { MethodNameList } from './methods';

export * from './schemas';
export * from './errors';
export * from './methods';
export type { ApiEvent } from './events';

export type MethodName = keyof typeof Inputs;

// Compile-time proof that METHOD_NAMES and the schema table name the same methods.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatchSchemas: Exact<MethodName, MethodNameList> = true;
void namesMatchSchemas;

export type MethodInput<M extends MethodName> = z.input<(typeof Inputs)[M]>;
export type MethodOutput<M extends MethodName> = z.output<(typeof Outputs)[M]>;

/** The ONE API the renderer sees, whatever carries it (Electron IPC or HTTP + WebSocket). */
export type Api = {
  [M in MethodName]: (input: MethodInput<M>) => Promise<MethodOutput<M>>;
} & {
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
};
