/**
 * ORT sessions with execution-provider fallback. A GPU provider is tried first where the platform
 * has one (CUDA on Linux, DirectML on Windows); if it cannot be created (no driver, no provider
 * library, unsupported op) the model is loaded again on the CPU, and the reason is logged and
 * returned so the UI can say why training is slower than hoped.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import type * as OrtTypes from 'onnxruntime-node';
import { computeChoiceFrom, type ProviderChoice } from './compute-env';
import type { DType, TypedData } from './graph';

const require = createRequire(import.meta.url);
/** onnxruntime-node is CommonJS with a native binding; require keeps it out of ESM bundling. */
export const ort = require('onnxruntime-node') as typeof OrtTypes;

export type OrtTensor = OrtTypes.Tensor;
export type OrtSession = OrtTypes.InferenceSession;

/** What the settings page offers: 'auto' tries the platform's GPU provider, then the CPU. */
export type { ProviderChoice };
export type ProviderName = 'cpu' | 'cuda' | 'dml';

export interface SessionOptions {
  /** Default: the process's choice (compute-env.ts, `stsr --provider`), else 'auto'. */
  provider?: ProviderChoice;
  /** Intra-op threads; default: the process's choice (`stsr --threads`), else the machine's parallelism. */
  threads?: number;
  /** Receives one line per decision (which provider ran, why one was skipped). */
  log?: (line: string) => void;
  platform?: NodeJS.Platform;
}

export interface CreatedSession {
  session: OrtSession;
  provider: ProviderName;
  /** Why a requested GPU provider was not used, when it was not. */
  fallbackReason?: string;
}

/** Providers to try, in order, for a choice on a platform. Pure: unit-tested per platform. */
export function providerOrder(choice: ProviderChoice, platform: NodeJS.Platform): ProviderName[] {
  if (choice === 'cpu') return ['cpu'];
  if (choice === 'cuda' || choice === 'dml') return [choice, 'cpu'];
  if (platform === 'linux') return ['cuda', 'cpu'];
  if (platform === 'win32') return ['dml', 'cpu'];
  return ['cpu'];
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

function ortOptions(provider: ProviderName, threads: number): OrtTypes.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // Sequential: our step graphs are one long chain, and parallel execution would make
    // floating-point summation order (hence bitwise resume) depend on scheduling.
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // Errors from failed GPU providers reach us as exceptions; ORT's own console spew is noise.
    logSeverityLevel: 3,
  };
}

/**
 * Providers whose library could not be loaded in this process: not retried for every session
 * (each failed attempt costs a dlopen and an error line from ORT). Failures specific to one model,
 * such as an unsupported op, are not remembered.
 */
const unloadable = new Map<ProviderName, string>();

/**
 * onnxruntime-node's Linux CUDA provider is an optional download (.npmrc skips it): when its
 * library is not beside the binding, say how to add it instead of letting ORT fail to dlopen it
 * (which also prints an error line to the console).
 */
function missingProviderLibrary(provider: ProviderName): string | undefined {
  if (provider !== 'cuda' || process.platform !== 'linux') return undefined;
  const bin = join(
    dirname(require.resolve('onnxruntime-node')),
    '..',
    'bin',
    'napi-v6',
    'linux',
    process.arch,
  );
  if (existsSync(join(bin, 'libonnxruntime_providers_cuda.so'))) return undefined;
  return 'cuda unavailable: the CUDA provider library is not installed (add it with `ONNXRUNTIME_NODE_INSTALL=true node node_modules/onnxruntime-node/script/install.js`, see README)';
}

function isLoadFailure(message: string): boolean {
  return /failed to load|cannot open shared object|backend not found|not available|not supported on this/i.test(
    message,
  );
}

export async function createSession(
  model: Uint8Array,
  options: SessionOptions = {},
): Promise<CreatedSession> {
  const log = options.log ?? (() => {});
  const chosen = computeChoiceFrom(process.env);
  const threads = options.threads ?? chosen.threads ?? defaultThreads();
  const order = providerOrder(
    options.provider ?? chosen.provider ?? 'auto',
    options.platform ?? process.platform,
  );
  const reasons: string[] = [];
  for (const provider of order) {
    if (!unloadable.has(provider)) {
      const missing = missingProviderLibrary(provider);
      if (missing) {
        unloadable.set(provider, missing);
        log(`onnx: ${missing}`);
      }
    }
    const known = unloadable.get(provider);
    if (known) {
      reasons.push(known);
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(model, ortOptions(provider, threads));
      const fallbackReason = reasons.length > 0 ? reasons.join('; ') : undefined;
      log(
        `onnx: running on ${provider} with ${threads} threads${fallbackReason ? ` (${fallbackReason})` : ''}`,
      );
      return fallbackReason ? { session, provider, fallbackReason } : { session, provider };
    } catch (err) {
      const why = `${provider} unavailable: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
      reasons.push(why);
      log(`onnx: ${why}`);
      if (provider !== 'cpu' && isLoadFailure(why)) unloadable.set(provider, why);
      if (provider === 'cpu') throw err;
    }
  }
  throw new Error('unreachable: the CPU provider is always last');
}

/** Wraps a typed array as an ORT tensor without copying. */
export function toOrt(dtype: DType, data: TypedData, dims: readonly number[]): OrtTensor {
  return new ort.Tensor(dtype, data as never, dims);
}

export function floatArray(dtype: 'float32' | 'float64', n: number): Float32Array | Float64Array {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}
