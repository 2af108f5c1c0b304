import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadH5wasm } from '../../../main/engine/io/hdf5';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

describe('h5wasm in a process with a global navigator (Electron main, Node ≥ 21)', () => {
  it('initialises with navigator defined and puts the very same navigator back', async () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    const fake = { userAgent: 'Electron/39' };
    Object.defineProperty(globalThis, 'navigator', { value: fake, configurable: true, writable: true });
    try {
      const lib = await loadH5wasm();
      const after = (globalThis as { navigator?: unknown }).navigator;
      const file = join(tmp.dir, 'a.h5');
      const w = new lib.File(file, 'w');
      w.create_dataset({ name: 'x', data: Float64Array.of(1, 2, 3) });
      w.close();
      const r = new lib.File(file, 'r');
      expect(Array.from((r.get('x') as InstanceType<typeof lib.Dataset>).value as Float64Array)).toEqual([
        1, 2, 3,
      ]);
      r.close();
      expect(after).toBe(fake);
    } finally {
      if (before) Object.defineProperty(globalThis, 'navigator', before);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});
