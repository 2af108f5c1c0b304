/**
 * The process's compute choice for sessions that do not make their own: execution provider and
 * intra-op thread count. It travels in the environment (STSR_PROVIDER, STSR_THREADS) because jobs
 * run in worker threads, which start with a copy of the parent's process.env: `stsr --threads 4
 * --provider cuda` sets it once and every session of every job sees it, in development (tsx) and
 * in bundled builds alike. A batch scheduler may also set the variables directly.
 */
import { EngineError } from '../errors';

export const PROVIDER_ENV = 'STSR_PROVIDER';
export const THREADS_ENV = 'STSR_THREADS';

export const PROVIDER_CHOICES = ['auto', 'cpu', 'cuda', 'dml'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

export interface ComputeChoice {
  provider?: ProviderChoice;
  threads?: number;
}

export function parseProvider(value: string, where: string): ProviderChoice {
  if (!(PROVIDER_CHOICES as readonly string[]).includes(value))
    throw new EngineError(
      'BAD_INPUT',
      `${where} must be one of ${PROVIDER_CHOICES.join(', ')}, got "${value}".`,
    );
  return value as ProviderChoice;
}

export function parseThreads(value: string, where: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new EngineError('BAD_INPUT', `${where} must be a whole number from 1 to 1024, got "${value}".`);
  return n;
}

/** The choice recorded in an environment; unset or empty variables mean "not chosen". Pure. */
export function computeChoiceFrom(env: NodeJS.ProcessEnv): ComputeChoice {
  const choice: ComputeChoice = {};
  const provider = env[PROVIDER_ENV];
  if (provider) choice.provider = parseProvider(provider, PROVIDER_ENV);
  const threads = env[THREADS_ENV];
  if (threads) choice.threads = parseThreads(threads, THREADS_ENV);
  return choice;
}

/** Records a choice for this process and the job workers it starts from now on. */
export function setComputeChoice(choice: ComputeChoice, env: NodeJS.ProcessEnv = process.env): void {
  if (choice.provider !== undefined) env[PROVIDER_ENV] = choice.provider;
  if (choice.threads !== undefined) env[THREADS_ENV] = String(choice.threads);
}
