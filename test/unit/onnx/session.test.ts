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

describe('the process compute choice', () => {
  it('is used by sessions that do not choose, and an explicit option wins over it', async () => {
    const saved = { threads: process.env.STSR_THREADS, provider: process.env.STSR_PROVIDER };
    process.env.STSR_THREADS = '1';
    process.env.STSR_PROVIDER = 'cpu';
    try {
      const lines: string[] = [];
      const a = await createSession(tinyModel(), { log: (l) => lines.push(l) });
      expect(a.provider).toBe('cpu');
      expect(lines).toEqual(['onnx: running on cpu with 1 threads']);
      await a.session.release();
      lines.length = 0;
      const b = await createSession(tinyModel(), { threads: 2, log: (l) => lines.push(l) });
      expect(lines).toEqual(['onnx: running on cpu with 2 threads']);
      await b.session.release();
    } finally {
      for (const [k, v] of [
        ['STSR_THREADS', saved.threads],
        ['STSR_PROVIDER', saved.provider],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
