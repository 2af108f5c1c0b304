/**
 * HDF5 bools written through h5wasm (export/h5/bool-enum.ts): the placeholder compound becomes
 * h5py's enum {FALSE, TRUE} in place, in the first object header chunk and in a continuation chunk,
 * several per object; the file stays valid for HDF5 itself (h5wasm re-reads every checksum) and h5py
 * reads numpy bools.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadH5wasm } from '../../../main/engine/io/hdf5';
import {
  applyBoolPatches,
  closeWithBools,
  detachBools,
  lookup3,
  trackBools,
  writeBoolAttribute,
  writeBoolDataset,
} from '../../../main/engine/export/h5/bool-enum';
import { H5adFile } from '../../../main/engine/export';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('stsr-bool-enum-');
afterAll(() => tmp.cleanup());
const file = join(tmp.dir, 'bools.h5');

beforeAll(async () => {
  const f = new (await loadH5wasm()).File(file, 'w');
  trackBools(f);
  const g = f.create_group('g');
  for (let i = 0; i < 4; i++) writeBoolAttribute(g, `flag${i}`, i % 2 === 1);
  // large attributes first, so the header overflows into a continuation (OCHK) chunk
  const big = f.create_group('big');
  for (let i = 0; i < 6; i++) big.create_attribute(`pad${i}`, 'x'.repeat(300));
  writeBoolAttribute(big, 'ordered', true);
  writeBoolDataset(g, 'mask', [1, 0, 0, 1, 1]);
  writeBoolDataset(g, 'empty', []);
  closeWithBools(f, file);
});

describe('lookup3 (HDF5 metadata checksum)', () => {
  it("matches Bob Jenkins' reference values", () => {
    expect(lookup3(new Uint8Array(0))).toBe(0xdeadbeef);
    expect(lookup3(new TextEncoder().encode('Four score and seven years ago'))).toBe(0x17770551);
    expect(lookup3(new TextEncoder().encode('Four score and seven years ago'), 1)).toBe(0xcd628161);
  });
});

describe('bool attributes and datasets', () => {
  it('reads back as HDF5 enums {FALSE: 0, TRUE: 1} with the values written', async () => {
    const f = await H5adFile.open(file);
    try {
      for (let i = 0; i < 4; i++) {
        expect(f.attrInfo('g', `flag${i}`)).toMatchObject({
          h5class: 8,
          size: 1,
          shape: null,
          enumMembers: { FALSE: 0, TRUE: 1 },
        });
        expect(f.attr('g', `flag${i}`)).toBe(i % 2);
      }
      expect(f.attrInfo('big', 'ordered')).toMatchObject({ h5class: 8, enumMembers: { FALSE: 0, TRUE: 1 } });
      expect(f.attr('big', 'ordered')).toBe(1);
      expect(f.attr('big', 'pad5')).toBe('x'.repeat(300));
      expect(f.datasetInfo('g/mask')).toMatchObject({ h5class: 8, shape: [5] });
      expect(Array.from(f.numbers('g/mask'))).toEqual([1, 0, 0, 1, 1]);
      expect(f.datasetInfo('g/empty')).toMatchObject({ h5class: 8, shape: [0] });
    } finally {
      f.close();
    }
  });

  it('patched the continuation chunk of a header that overflowed', () => {
    // the six 300-byte attributes do not fit the first chunk: the enum sits in an OCHK chunk
    const bytes = readFileSync(file);
    const enumAt = bytes.indexOf(Buffer.from('FALSE\0TRUE\0', 'latin1'));
    expect(enumAt).toBeGreaterThan(0);
    const ochk = bytes.indexOf(Buffer.from('OCHK', 'latin1'));
    expect(ochk).toBeGreaterThan(0);
    expect(bytes.indexOf(Buffer.from('stsr_bool__', 'latin1'))).toBe(-1);
  });

  it('refuses a file whose header does not hold the placeholder it expects', async () => {
    const h5 = await loadH5wasm();
    const p = join(tmp.dir, 'tampered.h5');
    const f = new h5.File(p, 'w');
    trackBools(f);
    writeBoolAttribute(f.create_group('g'), 'ordered', false);
    const patches = detachBools(f);
    f.close();
    // flip a byte of the placeholder's member name on disk before the patch runs
    const b = readFileSync(p);
    const at = b.indexOf(Buffer.from('stsr_bool__', 'latin1'));
    expect(at).toBeGreaterThan(0);
    b[at] = 0x58;
    writeFileSync(p, b);
    // the chunk checksum no longer matches: refused before anything is written
    expect(() => applyBoolPatches(p, patches)).toThrow(/tampered\.h5: .*fails its checksum/);
  });
});

const PY = '/usr/bin/python3';
const h5py = existsSync(PY) && spawnSync(PY, ['-c', 'import h5py'], { encoding: 'utf8' }).status === 0;
if (!h5py) console.warn('[bool-enum] skipping the h5py read-back: apt install python3-h5py');

describe.skipIf(!h5py)('h5py (Debian) reads them', () => {
  it('as numpy bools', () => {
    const r = spawnSync(
      PY,
      [
        '-c',
        `import h5py, json, numpy as np
with h5py.File(${JSON.stringify(file)}, 'r') as f:
    g = f['g']
    print(json.dumps({
      'attrs': [type(g.attrs[f'flag{i}']).__name__ + ':' + str(bool(g.attrs[f'flag{i}'])) for i in range(4)],
      'ordered': bool(f['big'].attrs['ordered']), 'orderedIsBool': isinstance(f['big'].attrs['ordered'], np.bool_),
      'mask': g['mask'][:].tolist(), 'dtype': str(g['mask'].dtype), 'empty': str(g['empty'].dtype),
    }))`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      attrs: ['bool_:False', 'bool_:True', 'bool_:False', 'bool_:True'],
      ordered: true,
      orderedIsBool: true,
      mask: [true, false, false, true, true],
      dtype: 'bool',
      empty: 'bool',
    });
  });
});
