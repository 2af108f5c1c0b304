/**
 * HDF5 booleans the way h5py writes them (an ENUM {FALSE = 0, TRUE = 1} over int8), which h5wasm
 * cannot create: its datatype builder knows strings, integers, floats, references and compounds only.
 *
 * anndata needs them: the `categorical` 0.2.0 group's `ordered` attribute must read back as a numpy
 * bool (anndata 0.8 hands it to pandas, which refuses an int8 with "'ordered' must either be 'True'
 * or 'False'"), and bool / nullable-boolean columns and nullable masks are bool arrays.
 *
 * How: the value is written with a placeholder type of exactly the same encoded size and element
 * size — a compound with one int8 member named PLACEHOLDER_MEMBER (11 characters): 8 bytes of
 * header + 12 for the name + 1 byte offset + 12 for the int8 = 33 bytes, the size of a version-3
 * enum message (8 + 12 for the int8 base + "FALSE\0TRUE\0" + 2 values). The data bytes are the same
 * (one signed byte per element). When the file is closed, each placeholder datatype message is
 * found by parsing the object header of the object it belongs to (its address is the object
 * reference h5wasm gives us), overwritten with the enum encoding, and the header chunk's
 * Jenkins lookup3 checksum recomputed. Nothing else in the file moves, and every check is strict:
 * a header that does not hold exactly the placeholder we wrote is an error, never a guess.
 *
 * Formats: HDF5 File Format Specification 3.0, §III.A.2 (version 2 object headers, "OHDR"/"OCHK"
 * chunks), §IV.A.2.d (datatype message: compound and enumeration, version 3), §IV.A.2.m (attribute
 * message, version 3), §IV.A.2.q (continuation message).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { H5Dataset, H5File, H5Group } from './elements';

/** The placeholder member name: its length sets the compound's encoded size to the enum's (33 bytes). */
export const PLACEHOLDER_MEMBER = 'stsr_bool__';

const PLACEHOLDER_DTYPE: [string, string][] = [[PLACEHOLDER_MEMBER, '<b']];

/** int8, little-endian, signed, precision 8 (datatype message class 0, version 1). */
const INT8 = [0x10, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00];

const ascii = (s: string): number[] => [...s].map((ch) => ch.charCodeAt(0));

/** The compound we write: class 6, version 3, 1 member, size 1; name, offset 0 (1 byte), int8. */
const PLACEHOLDER_BYTES = Uint8Array.from([
  0x36,
  0x01,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  ...ascii(PLACEHOLDER_MEMBER),
  0x00,
  0x00,
  ...INT8,
]);

/** h5py's bool: class 8 (enum), version 3, 2 members, size 1; int8 base; names; values 0, 1. */
const ENUM_BOOL_BYTES = Uint8Array.from([
  0x38,
  0x02,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  ...INT8,
  ...ascii('FALSE'),
  0x00,
  ...ascii('TRUE'),
  0x00,
  0x00,
  0x01,
]);

if (PLACEHOLDER_BYTES.length !== ENUM_BOOL_BYTES.length)
  throw new Error('bool-enum: placeholder and enum encodings differ in size');

type Target = { kind: 'attribute'; name: string } | { kind: 'dataset' };

export interface BoolPatch {
  /** object header address (the object reference's value) */
  address: bigint;
  target: Target;
  /** path inside the file, for error messages */
  where: string;
}

/** Patches waiting for each open file, keyed by h5wasm's file id. */
const pending = new Map<bigint, BoolPatch[]>();

/** Starts collecting bool patches for a file opened for writing (finish with closeWithBools). */
export function trackBools(f: H5File): void {
  pending.set(f.file_id, []);
}

function queue(obj: H5Group | H5Dataset, target: Target): void {
  const list = pending.get(obj.file_id);
  if (!list) throw new Error(`bool-enum: ${obj.path} is in a file not opened with trackBools`);
  const ref = obj.create_reference();
  // an object reference (hobj_ref_t) is the object header's address, little-endian
  let addr = 0n;
  for (let i = 7; i >= 0; i--) addr = (addr << 8n) | BigInt(Number(ref.ref_data[i]));
  list.push({ address: addr, target, where: obj.path });
}

/** A scalar bool attribute, read by h5py as numpy.bool_. */
export function writeBoolAttribute(obj: H5Group | H5Dataset, name: string, value: boolean): void {
  obj.create_attribute(
    name,
    new Map([[PLACEHOLDER_MEMBER, new Int8Array([value ? 1 : 0])]]),
    [],
    PLACEHOLDER_DTYPE,
  );
  queue(obj, { kind: 'attribute', name });
}

/** A 1-d bool dataset, read by h5py as a numpy bool array. */
export function writeBoolDataset(
  parent: H5Group,
  name: string,
  values: ArrayLike<boolean | number>,
): H5Dataset {
  const bytes = Int8Array.from(Array.from(values, (v) => (v ? 1 : 0)));
  const ds = parent.create_dataset({
    name,
    data: new Map([[PLACEHOLDER_MEMBER, bytes]]),
    shape: [bytes.length],
    dtype: PLACEHOLDER_DTYPE,
  });
  queue(ds, { kind: 'dataset' });
  return ds;
}

/** Closes the file, then turns every placeholder written to it into h5py's bool enum. */
export function closeWithBools(f: H5File, path: string): void {
  const patches = detachBools(f);
  f.close();
  applyBoolPatches(path, patches);
}

/** Stops tracking a file and returns its pending patches (discarded when the file is abandoned). */
export function detachBools(f: H5File): readonly BoolPatch[] {
  const patches = pending.get(f.file_id) ?? [];
  pending.delete(f.file_id);
  return patches;
}

// ---------------------------------------------------------------------------------------------

/** Jenkins lookup3 `hashlittle` (initval 0), HDF5's metadata checksum (H5_checksum_lookup3). */
export function lookup3(k: Uint8Array, initval = 0): number {
  let length = k.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  const rot = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;
  let o = 0;
  const word = (i: number): number =>
    (k[o + i]! | (k[o + i + 1]! << 8) | (k[o + i + 2]! << 16) | (k[o + i + 3]! << 24)) >>> 0;
  while (length > 12) {
    a = (a + word(0)) >>> 0;
    b = (b + word(4)) >>> 0;
    c = (c + word(8)) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0; // prettier-ignore
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0; // prettier-ignore
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0; // prettier-ignore
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0; // prettier-ignore
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0; // prettier-ignore
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0; // prettier-ignore
    length -= 12;
    o += 12;
  }
  if (length === 0) return c;
  // the last 1–12 bytes, added byte by byte (lookup3's fall-through switch)
  const add = [0, 0, 0];
  for (let i = 0; i < length; i++) add[i >> 2]! += k[o + i]! << (8 * (i & 3));
  a = (a + (add[0]! >>> 0)) >>> 0;
  b = (b + (add[1]! >>> 0)) >>> 0;
  c = (c + (add[2]! >>> 0)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 14)) >>> 0; // prettier-ignore
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 11)) >>> 0; // prettier-ignore
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 25)) >>> 0; // prettier-ignore
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 16)) >>> 0; // prettier-ignore
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 4)) >>> 0; // prettier-ignore
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 14)) >>> 0; // prettier-ignore
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 24)) >>> 0; // prettier-ignore
  return c;
}

/** One checksummed chunk of an object header: bytes [start, end) then the 4-byte checksum. */
interface Chunk {
  address: number;
  bytes: Uint8Array;
  /** offset of the first message inside `bytes` */
  first: number;
  /** offset of the checksum inside `bytes` */
  end: number;
}

class HeaderFile {
  readonly offsetSize: number;
  readonly lengthSize: number;

  constructor(
    private readonly fd: number,
    private readonly path: string,
  ) {
    const sb = this.read(0, 16);
    const version = sb[8]!;
    // h5wasm writes superblock version 2 or 3 (libver ≥ 1.8); 0/1 keep the sizes elsewhere
    [this.offsetSize, this.lengthSize] = version >= 2 ? [sb[9]!, sb[10]!] : [sb[13]!, sb[14]!];
  }

  read(pos: number, n: number): Uint8Array {
    const b = new Uint8Array(n);
    const got = readSync(this.fd, b, 0, n, pos);
    if (got !== n) this.fail(`short read at ${pos}`);
    return b;
  }

  write(pos: number, b: Uint8Array): void {
    writeSync(this.fd, b, 0, b.length, pos);
  }

  fail(why: string): never {
    throw new Error(`${this.path}: cannot write an HDF5 bool: ${why}`);
  }

  uint(b: Uint8Array, at: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
    return v;
  }

  /** Chunk 0 of the version-2 object header at `address`, and its message-header layout. */
  firstChunk(address: number): { chunk: Chunk; creationOrder: boolean } {
    const head = this.read(address, 64);
    if (String.fromCharCode(...head.subarray(0, 4)) !== 'OHDR' || head[4] !== 2)
      this.fail(`no version-2 object header at ${address}`);
    const flags = head[5]!;
    let p = 6;
    if (flags & 0x20) p += 16;
    if (flags & 0x10) p += 4;
    const sizeBytes = 1 << (flags & 3);
    const size = this.uint(head, p, sizeBytes);
    p += sizeBytes;
    const total = p + size + 4;
    return {
      chunk: { address, bytes: this.read(address, total), first: p, end: p + size },
      creationOrder: (flags & 0x04) !== 0,
    };
  }

  checkChunk(c: Chunk): void {
    const stored = this.uint(c.bytes, c.end, 4);
    if (lookup3(c.bytes.subarray(0, c.end)) !== stored)
      this.fail(`object header chunk at ${c.address} fails its checksum`);
  }
}

interface Message {
  chunk: Chunk;
  type: number;
  /** offset of the message body inside chunk.bytes */
  body: number;
  size: number;
}

function* messages(h: HeaderFile, address: number): Generator<Message> {
  const { chunk: first, creationOrder } = h.firstChunk(address);
  const queue: Chunk[] = [first];
  const headerSize = 4 + (creationOrder ? 2 : 0);
  while (queue.length > 0) {
    const chunk = queue.shift()!;
    h.checkChunk(chunk);
    let p = chunk.first;
    // a gap smaller than a message header may end the chunk
    while (p + headerSize <= chunk.end) {
      const type = chunk.bytes[p]!;
      const size = chunk.bytes[p + 1]! | (chunk.bytes[p + 2]! << 8);
      const body = p + headerSize;
      if (body + size > chunk.end) h.fail(`message overruns its chunk at ${chunk.address + p}`);
      if (type === 0x10) {
        const at = h.uint(chunk.bytes, body, h.offsetSize);
        const len = h.uint(chunk.bytes, body + h.offsetSize, h.lengthSize);
        const bytes = h.read(at, len);
        if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'OCHK')
          h.fail(`continuation at ${at} is not an OCHK chunk`);
        queue.push({ address: at, bytes, first: 4, end: len - 4 });
      }
      yield { chunk, type, body, size };
      p = body + size;
    }
  }
}

/** Offset of the datatype encoding inside the message, or −1 when the message is not the target. */
function datatypeOffset(m: Message, target: Target, h: HeaderFile): number {
  if (target.kind === 'dataset') return m.type === 0x03 ? m.body : -1;
  if (m.type !== 0x0c) return -1;
  const b = m.chunk.bytes;
  if (b[m.body] !== 3) h.fail(`attribute message version ${b[m.body]} (expected 3)`);
  const nameSize = b[m.body + 2]! | (b[m.body + 3]! << 8);
  const name = new TextDecoder().decode(b.subarray(m.body + 9, m.body + 9 + nameSize - 1));
  return name === target.name ? m.body + 9 + nameSize : -1;
}

/** Rewrites each placeholder of a closed file (see the top of this file). */
export function applyBoolPatches(path: string, patches: readonly BoolPatch[]): void {
  const fd = openSync(path, 'r+');
  try {
    const h = new HeaderFile(fd, path);
    for (const patch of patches) {
      let done = false;
      for (const m of messages(h, Number(patch.address))) {
        const at = datatypeOffset(m, patch.target, h);
        if (at < 0) continue;
        const { chunk } = m;
        const current = chunk.bytes.subarray(at, at + PLACEHOLDER_BYTES.length);
        if (!current.every((v, i) => v === PLACEHOLDER_BYTES[i]))
          h.fail(`${patch.where}: the datatype is not the bool placeholder`);
        current.set(ENUM_BOOL_BYTES);
        const sum = lookup3(chunk.bytes.subarray(0, chunk.end));
        new DataView(chunk.bytes.buffer, chunk.bytes.byteOffset).setUint32(chunk.end, sum, true);
        // written at once, so a later patch of the same header reads a consistent chunk
        h.write(chunk.address, chunk.bytes);
        done = true;
        break;
      }
      if (!done)
        h.fail(
          `${patch.where}: ${patch.target.kind === 'attribute' ? `attribute "${patch.target.name}"` : 'datatype'} not found in its object header`,
        );
    }
  } finally {
    closeSync(fd);
  }
}
