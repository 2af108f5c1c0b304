import { describe, expect, it } from 'vitest';
import { Graph, createSession, providerOrder, toOrt } from '../../../main/engine/onnx';

function tinyModel(): Uint8Array {
  const g = new Graph('float32');
  const x = g.input('x', [2]);
  return g.toModel({ outputs: { y: g.mul(x, 2) } });
}

describe('execution providers', () => {
  it('orders providers per platform and choice', () => {
    expect(providerOrder('auto', 'linux')).toEqual(['cuda', 'cpu']);
    expect(providerOrder('auto', 'win32')).toEqual(['dml', 'cpu']);
    expect(providerOrder('auto', 'darwin')).toEqual(['cpu']);
    expect(providerOrder('cpu', 'linux')).toEqual(['cpu']);
    expect(providerOrder('dml', 'linux')).toEqual(['dml', 'cpu']);
  });

  it('falls back from CUDA to the CPU with a logged reason when CUDA cannot load', async () => {
    // This machine has no CUDA provider library, so the request must end on the CPU.
    const lines: string[] = [];
    const created = await createSession(tinyModel(), {
      provider: 'cuda',
      threads: 1,
      log: (l) => lines.push(l),
    });
    expect(created.provider).toBe('cpu');
    expect(created.fallbackReason).toMatch(/^cuda unavailable: .*not installed.*install\.js/);
    expect(lines.some((l) => l.startsWith('onnx: cuda unavailable'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^onnx: running on cpu with 1 threads \(cuda unavailable/);
    const out = await created.session.run({ x: toOrt('float32', Float32Array.of(1.5, -2), [2]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3, -4]);
    await created.session.release();
    // A second request remembers the failed load instead of retrying it.
    const again = await createSession(tinyModel(), { provider: 'cuda', threads: 1 });
    expect(again.provider).toBe('cpu');
    expect(again.fallbackReason).toBe(created.fallbackReason);
    await again.session.release();
  });
});
