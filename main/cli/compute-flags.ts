import {
  parseProvider,
  parseThreads,
  setComputeChoice,
  type ComputeChoice,
} from '../engine/onnx/compute-env';
import { EngineError } from '../engine/errors';
import { UsageError } from './output';

type Flag = 'threads' | 'provider';

/**
 * Takes the global compute flags (`--threads N`, `--provider auto|cpu|cuda|dml`, also in the
 * `--flag=value` form) out of the command line, wherever they stand, so every command (and
 * `bench`, which parses its own flags) gets them without declaring them. Pure.
 */
export function splitComputeFlags(argv: readonly string[]): {
  rest: string[];
  raw: Partial<Record<Flag, string>>;
} {
  const rest: string[] = [];
  const raw: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    const m = /^--(threads|provider)(?:=(.*))?$/.exec(word);
    if (!m) {
      rest.push(word);
      continue;
    }
    const flag = m[1] as Flag;
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flag} needs a value.`);
      i++;
    }
    raw[flag] = value;
  }
  return { rest, raw };
}

/** Validates the flags' values (bad ones are usage errors, exit 2). Pure. */
export function parseComputeFlags(raw: Partial<Record<Flag, string>>): ComputeChoice {
  try {
    const choice: ComputeChoice = {};
    if (raw.provider !== undefined) choice.provider = parseProvider(raw.provider, '--provider');
    if (raw.threads !== undefined) choice.threads = parseThreads(raw.threads, '--threads');
    return choice;
  } catch (err) {
    if (err instanceof EngineError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Reads the global compute flags and records them for the engine (compute-env.ts: every ONNX
 * session of this process and of the job workers it starts). Returns the remaining arguments.
 */
export function applyComputeFlags(argv: readonly string[]): string[] {
  const { rest, raw } = splitComputeFlags(argv);
  setComputeChoice(parseComputeFlags(raw));
  return rest;
}
