/**
 * Reading one file out of a `.tar.gz` (a Python sdist): POSIX ustar / GNU tar headers of 512
 * bytes, sizes in octal (or GNU base-256), names with the ustar prefix, GNU long names (`L`) and
 * pax path records (`x`). Only regular files are returned; links and devices are skipped.
 */
import { gunzipSync } from 'node:zlib';

export class TarError extends Error {
  override readonly name = 'TarError';
  readonly retriable = false;
}

function field(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end >= 0 && end < offset + length ? end : offset + length);
}

function size(block: Buffer, what: string): number {
  if (block[124]! & 0x80) {
    // GNU base-256: big-endian binary in the remaining 11 bytes.
    let v = 0;
    for (let i = 125; i < 136; i++) v = v * 256 + block[i]!;
    return v;
  }
  const text = field(block, 124, 12).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarError(`${what}: corrupt size field "${text}"`);
  return text === '' ? 0 : parseInt(text, 8);
}

function paxPath(records: Buffer): string | undefined {
  let p = 0;
  let path: string | undefined;
  while (p < records.length) {
    const space = records.indexOf(0x20, p);
    if (space < 0) break;
    const len = Number(records.toString('utf8', p, space));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = records.toString('utf8', space + 1, p + len - 1);
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    p += len;
  }
  return path;
}

/** Every regular file of a tar archive (gzip-compressed when it starts with the gzip magic), by path. */
export function readTar(bytes: Buffer, what = 'tar'): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  } catch (err) {
    throw new TarError(`${what}: not a readable gzip stream (${(err as Error).message})`);
  }
  const out = new Map<string, Buffer>();
  let p = 0;
  let longName: string | undefined;
  while (p + 512 <= tar.length) {
    const header = tar.subarray(p, p + 512);
    if (header.every((b) => b === 0)) break;
    const n = size(header, what);
    const start = p + 512;
    if (start + n > tar.length) throw new TarError(`${what}: entry at byte ${p} runs past the end of the archive`);
    const body = tar.subarray(start, start + n);
    const type = String.fromCharCode(header[156]!);
    const magic = header.toString('latin1', 257, 262);
    let name = field(header, 0, 100);
    if (magic === 'ustar') {
      const prefix = field(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (type === 'L') longName = body.toString('utf8').replace(/\0+$/, '');
    else if (type === 'x') longName = paxPath(body) ?? longName;
    else {
      if (type === '0' || type === '\0' || type === '7') out.set(longName ?? name, body);
      longName = undefined;
    }
    p = start + Math.ceil(n / 512) * 512;
  }
  return out;
}
