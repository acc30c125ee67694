/**
 * The small part of the ZIP format (PKWARE APPNOTE 6.3) that `.npz` files, torch archives and
 * Python wheels use: stored (np.savez, torch.save) or deflated (np.savez_compressed, wheels)
 * entries, possibly with ZIP64 extras for large ones. Reading handles both methods and ZIP64
 * sizes and checks each entry's CRC-32; writing emits stored entries.
 */
import { inflateRawSync } from 'node:zlib';

/** CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zip entries need; node:zlib's crc32 is Node ≥ 20.15 only. */
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

export function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export class ZipError extends Error {
  override readonly name = 'ZipError';
  readonly retriable = false;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** One entry of a zip archive, read on demand. */
export interface ZipEntry {
  name: string;
  /** Uncompressed size in bytes. */
  size: number;
  /** 0 = stored, 8 = deflate. */
  method: number;
  /** The uncompressed bytes (a view into the archive for stored entries); checks the size and CRC-32. */
  read(): Buffer;
}

/**
 * The entries of a zip archive, by name, without decompressing any (torch archives, wheels and
 * `.npz` files). Every offset is checked against the archive's length: a corrupt or hostile
 * archive gives a {@link ZipError}, never a read outside the buffer.
 */
export function openZip(bytes: Buffer, what = 'zip'): Map<string, ZipEntry> {
  const fail = (message: string): never => {
    throw new ZipError(`${what}: ${message}`);
  };
  const at = (offset: number, size: number, part: string) => {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > bytes.length) fail(`${part} at byte ${offset} lies outside the ${bytes.length}-byte archive`);
    return offset;
  };
  // End of central directory: within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65_557); i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('not a zip archive (no end-of-central-directory record)');
  let count = bytes.readUInt16LE(eocd + 10);
  let offset = bytes.readUInt32LE(eocd + 16);
  if (offset === 0xffffffff || count === 0xffff) {
    // ZIP64 end-of-central-directory locator just before the EOCD.
    const loc = eocd - 20;
    if (loc < 0 || bytes.readUInt32LE(loc) !== 0x07064b50) fail('ZIP64 archive without its locator');
    const z64 = at(Number(bytes.readBigUInt64LE(loc + 8)), 56, 'the ZIP64 end record');
    count = Number(bytes.readBigUInt64LE(z64 + 32));
    offset = Number(bytes.readBigUInt64LE(z64 + 48));
  }
  const out = new Map<string, ZipEntry>();
  let p = offset;
  for (let e = 0; e < count; e++) {
    at(p, 46, 'a central directory record');
    if (bytes.readUInt32LE(p) !== CENTRAL) fail(`corrupt central directory at byte ${p}`);
    const method = bytes.readUInt16LE(p + 10);
    const crc = bytes.readUInt32LE(p + 16);
    let compressed = bytes.readUInt32LE(p + 20);
    let size = bytes.readUInt32LE(p + 24);
    const nameLen = bytes.readUInt16LE(p + 28);
    const extraLen = bytes.readUInt16LE(p + 30);
    const commentLen = bytes.readUInt16LE(p + 32);
    let local = bytes.readUInt32LE(p + 42);
    at(p + 46, nameLen + extraLen, 'an entry name');
    const name = bytes.toString('utf8', p + 46, p + 46 + nameLen);
    // ZIP64 extra field (id 1): the 0xffffffff fields, in order size, compressed, offset.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = bytes.readUInt16LE(x);
      const len = bytes.readUInt16LE(x + 2);
      if (id === 1) {
        let q = x + 4;
        const next = () => {
          if (q + 8 > x + 4 + len) fail(`entry ${name} has a short ZIP64 field`);
          const v = Number(bytes.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressed === 0xffffffff) compressed = next();
        if (local === 0xffffffff) local = next();
      }
      x += 4 + len;
    }
    at(local, 30, `the local header of ${name}`);
    if (bytes.readUInt32LE(local) !== LOCAL) fail(`entry ${name} has no local header`);
    const start = at(local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28), compressed, `the data of ${name}`);
    if (method !== 0 && method !== 8) fail(`entry ${name} uses compression method ${method}; only stored (0) and deflate (8) are supported`);
    const read = (): Buffer => {
      const raw = bytes.subarray(start, start + compressed);
      let data: Buffer;
      try {
        data = method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      } catch (err) {
        return fail(`entry ${name} does not inflate (${(err as Error).message})`);
      }
      if (data.length !== size) fail(`entry ${name} is ${data.length} bytes, expected ${size}`);
      if (crc32(data) !== crc) fail(`entry ${name} fails its CRC-32 check (the archive is corrupt)`);
      return data;
    };
    out.set(name, { name, size, method, read });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Every entry of a zip archive, by name, decompressed. */
export function readZip(bytes: Buffer, what = 'zip'): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [name, entry] of openZip(bytes, what)) out.set(name, entry.read());
  return out;
}

/** A zip archive with stored (uncompressed) entries; entries must be < 4 GiB each. */
export function writeZip(entries: Array<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // DOS time/date: 1980-01-01 00:00
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
