/**
 * Which execution provider ONNX sessions actually run on in this process (CUDA / DirectML / CPU)
 * and why a faster one was skipped: a one-node session is created once with the same provider
 * choice as every job ('auto') and the answer is kept.
 */
import { Graph } from './graph';
import { createSession, type ProviderName } from './session';

let probed: Promise<{ provider: ProviderName; fallbackReason?: string }> | null = null;

export function probeProvider(): Promise<{ provider: ProviderName; fallbackReason?: string }> {
  probed ??= (async () => {
    const g = new Graph('float32');
    const x = g.input('x', [1]);
    const { session, provider, fallbackReason } = await createSession(
      g.toModel({ outputs: { y: g.add(x, x) } }),
      { provider: 'auto', threads: 1 },
    );
    await session.release();
    return fallbackReason ? { provider, fallbackReason } : { provider };
  })();
  return probed;
}
