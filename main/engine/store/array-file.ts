import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { EngineError } from '../errors';
import { writeFileAtomic } from './atomic-file';

/**
 * Large numeric arrays live in files next to project.sqlite, referenced from rows by name.
 * Layout: 8-byte magic, u32 header length, JSON header {dtype, shape, meta}, zero padding to a
 * 64-byte boundary, then the raw little-endian data. Own format because it must be readable in
 * slices (memory stays bounded) with no dependency; .npy was considered but has no metadata slot.
 */
const MAGIC = 'STSRARR1';

export type DType = 'float32' | 'float64' | 'int32' | 'uint32' | 'uint8' | 'uint16' | 'int8' | 'float16';

export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : D extends 'uint32'
        ? Uint32Array
        : D extends 'uint16' | 'float16'
          ? Uint16Array
          : D extends 'int8'
            ? Int8Array
            : Uint8Array;

export type AnyTypedArray =
  Float32Array | Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array | Int8Array;

export interface ArrayHeader {
  dtype: DType;
  shape: number[];
  meta?: Record<string, unknown>;
}

export interface StoredArray extends ArrayHeader {
  data: AnyTypedArray;
}

const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int32: 4,
  uint32: 4,
  uint16: 2,
  float16: 2,
  uint8: 1,
  int8: 1,
};

export function bytesPerElement(dtype: DType): number {
  return BYTES[dtype];
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function encodeHeader(header: ArrayHeader): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const unpadded = 8 + 4 + json.length;
  const total = Math.ceil(unpadded / 64) * 64;
  const out = Buffer.alloc(total);
  out.write(MAGIC, 0, 'ascii');
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  return out;
}

function asBytes(data: AnyTypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes a whole array atomically. */
export function writeArrayFile(path: string, array: StoredArray): void {
  const { data, ...header } = array;
  const expected = elementCount(header.shape);
  if (data.length !== expected) {
    throw new EngineError(
      'INTERNAL',
      `Array for ${path} has ${data.length} values but shape ${JSON.stringify(header.shape)} needs ${expected}.`,
    );
  }
  writeFileAtomic(path, [encodeHeader(header), asBytes(data)]);
}

export interface ArrayFileHandle {
  header: ArrayHeader;
  dataOffset: number;
  /** Reads elements [start, start + count) of the flattened array. */
  readRange(start: number, count: number): AnyTypedArray;
  close(): void;
}

function makeTyped(dtype: DType, buf: Buffer): AnyTypedArray {
  // Copy into a fresh, aligned ArrayBuffer: Buffers from the pool may be misaligned for the view.
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  switch (dtype) {
    case 'float32':
      return new Float32Array(ab);
    case 'float64':
      return new Float64Array(ab);
    case 'int32':
      return new Int32Array(ab);
    case 'uint32':
      return new Uint32Array(ab);
    case 'uint16':
    case 'float16':
      return new Uint16Array(ab);
    case 'int8':
      return new Int8Array(ab);
    case 'uint8':
      return new Uint8Array(ab);
  }
}

export function openArrayFile(path: string): ArrayFileHandle {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw new EngineError('NOT_FOUND', `Array file ${path} is missing.`, { file: path, cause });
  }
  const size = fstatSync(fd).size;
  const head = Buffer.alloc(12);
  if (size < 12 || readSync(fd, head, 0, 12, 0) !== 12 || head.toString('ascii', 0, 8) !== MAGIC) {
    closeSync(fd);
    throw new EngineError('CORRUPT', `${path} is not an STSR array file (bad magic).`, { file: path });
  }
  const jsonLen = head.readUInt32LE(8);
  const json = Buffer.alloc(jsonLen);
  readSync(fd, json, 0, jsonLen, 12);
  let header: ArrayHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as ArrayHeader;
  } catch (cause) {
    closeSync(fd);
    throw new EngineError('CORRUPT', `${path} has an unreadable header.`, { file: path, cause });
  }
  const dataOffset = Math.ceil((12 + jsonLen) / 64) * 64;
  const bpe = BYTES[header.dtype];
  const n = elementCount(header.shape);
  if (size < dataOffset + n * bpe) {
    closeSync(fd);
    throw new EngineError(
      'CORRUPT',
      `${path} is truncated: expected ${dataOffset + n * bpe} bytes, found ${size}.`,
      { file: path },
    );
  }
  return {
    header,
    dataOffset,
    readRange(start, count) {
      if (start < 0 || count < 0 || start + count > n) {
        throw new EngineError('INTERNAL', `Range ${start}+${count} outside ${path} (${n} values).`);
      }
      const buf = Buffer.alloc(count * bpe);
      readSync(fd, buf, 0, buf.length, dataOffset + start * bpe);
      return makeTyped(header.dtype, buf);
    },
    close() {
      closeSync(fd);
    },
  };
}

export function readArrayFile(path: string): StoredArray {
  const h = openArrayFile(path);
  try {
    return { ...h.header, data: h.readRange(0, elementCount(h.header.shape)) };
  } finally {
    h.close();
  }
}
