import { readdirSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openArrayFile, readArrayFile, writeArrayFile } from '../../../main/engine/store/array-file';
import { EngineError } from '../../../main/engine/errors';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

describe('array files', () => {
  it('round-trips shape, dtype, metadata and values, and reads slices', () => {
    const data = new Float32Array([1.5, -2, 3.25, 4, 5, 6]);
    const file = join(tmp.dir, 'a.arr');
    writeArrayFile(file, { dtype: 'float32', shape: [2, 3], data, meta: { genes: ['A', 'B', 'C'] } });
    const back = readArrayFile(file);
    expect(back.shape).toEqual([2, 3]);
    expect(back.dtype).toBe('float32');
    expect(back.meta).toEqual({ genes: ['A', 'B', 'C'] });
    expect(Array.from(back.data)).toEqual(Array.from(data));
    const h = openArrayFile(file);
    expect(Array.from(h.readRange(3, 3))).toEqual([4, 5, 6]);
    expect(() => h.readRange(5, 2)).toThrow(EngineError);
    h.close();
    expect(h.dataOffset % 64).toBe(0);
  });

  it('leaves no temp file behind and replaces the old content whole', () => {
    const file = join(tmp.dir, 'b.arr');
    writeArrayFile(file, { dtype: 'int32', shape: [3], data: new Int32Array([1, 2, 3]) });
    writeArrayFile(file, { dtype: 'int32', shape: [2], data: new Int32Array([7, 8]) });
    expect(Array.from(readArrayFile(file).data)).toEqual([7, 8]);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('refuses a shape that does not match the data', () => {
    expect(() =>
      writeArrayFile(join(tmp.dir, 'c.arr'), { dtype: 'uint8', shape: [4], data: new Uint8Array(3) }),
    ).toThrow(/needs 4/);
  });

  it('detects a truncated file and a foreign file', () => {
    const file = join(tmp.dir, 'd.arr');
    writeArrayFile(file, { dtype: 'float64', shape: [100], data: new Float64Array(100) });
    truncateSync(file, statSync(file).size - 8);
    expect(() => readArrayFile(file)).toThrow(/truncated/);
    const foreign = join(tmp.dir, 'e.arr');
    writeArrayFile(foreign, { dtype: 'uint8', shape: [1], data: new Uint8Array(1) });
    truncateSync(foreign, 4);
    expect(() => readArrayFile(foreign)).toThrow(/not an STSR array file/);
  });
});
