/**
 * One image's projection state, as saved between steps: enough to continue exactly where it
 * stopped (w, noise maps, both Adam moments, the step and the random stream), or, once done, the
 * result (final w and noise maps, the projected image rendered from them, its distances).
 *
 * File format (`.state`): "DGPS" magic, uint32 LE header length, the header as JSON (kind, id,
 * the arrays' names, dtypes, lengths, and the sha256 of the payload), then the payload: the arrays'
 * bytes back to back (little-endian). A torn or foreign file is refused, never half-read.
 */
import { createHash } from 'node:crypto';
import type { RngState } from '@dermagan/gan';

export interface RunningState {
  kind: 'running';
  /** The image's id (checked against the job on resume). */
  id: string;
  /** Steps taken (0 = initialised, not yet stepped). */
  step: number;
  /** Class the projection is conditioned on (null: unconditional generator). */
  label: number | null;
  /** The image's random stream (noise init, then w noise per step). */
  rng: RngState;
  /** [k·wDim], k = 1 (W) or numWs (W+), and its Adam moments. */
  w: Float32Array;
  wM: Float32Array;
  wV: Float32Array;
  /** Noise maps [r·r] per noise input (synthesis order), and their Adam moments. */
  noise: Float32Array[];
  noiseM: Float32Array[];
  noiseV: Float32Array[];
}

export interface DoneState {
  kind: 'done';
  id: string;
  steps: number;
  label: number | null;
  /** Final w, [k·wDim]. */
  w: Float32Array;
  /** Final noise maps [r·r] per noise input (synthesis order): the image is rendered with them. */
  noise: Float32Array[];
  /** The projected image, uint8 [r·r·3]. */
  image: Uint8Array;
  /** Perceptual distance between the image and its projection (the projector's space). */
  distance: number;
  /** Mean squared pixel difference, pixels in [0, 1]. */
  mse: number;
}

export type ImageState = RunningState | DoneState;

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  readonly retriable = false;
}

const MAGIC = Buffer.from('DGPS');

type ArrayEntry = { name: string; dtype: 'float32' | 'uint8'; length: number };

function arraysOf(state: ImageState): Array<[string, Float32Array | Uint8Array]> {
  if (state.kind === 'done') return [['w', state.w], ['image', state.image], ...state.noise.map((n, i): [string, Float32Array] => [`noise${i}`, n])];
  const out: Array<[string, Float32Array | Uint8Array]> = [['w', state.w], ['wM', state.wM], ['wV', state.wV]];
  state.noise.forEach((_, i) => out.push([`noise${i}`, state.noise[i]!], [`noiseM${i}`, state.noiseM[i]!], [`noiseV${i}`, state.noiseV[i]!]));
  return out;
}

export function encodeState(state: ImageState): Buffer {
  const arrays = arraysOf(state);
  const payload = Buffer.concat(arrays.map(([, a]) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  const scalars =
    state.kind === 'done'
      ? { kind: state.kind, id: state.id, steps: state.steps, label: state.label, distance: state.distance, mse: state.mse }
      : { kind: state.kind, id: state.id, step: state.step, label: state.label, rng: state.rng };
  const header = Buffer.from(
    JSON.stringify({
      ...scalars,
      arrays: arrays.map(([name, a]): ArrayEntry => ({ name, dtype: a instanceof Uint8Array ? 'uint8' : 'float32', length: a.length })),
      sha256: createHash('sha256').update(payload).digest('hex'),
    }),
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return Buffer.concat([MAGIC, len, header, payload]);
}

export function decodeState(bytes: Uint8Array, what: string): ImageState {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) throw new StateFileError(`${what} is not a projection state file`);
  const headerLength = buf.readUInt32LE(4);
  if (8 + headerLength > buf.length) throw new StateFileError(`${what} is truncated (header)`);
  let header: Record<string, unknown> & { arrays: ArrayEntry[]; sha256: string; kind: string };
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (err) {
    throw new StateFileError(`${what}: unreadable header (${(err as Error).message})`, { cause: err });
  }
  const payload = buf.subarray(8 + headerLength);
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) throw new StateFileError(`${what} is torn or corrupt (payload hash differs)`);
  const arrays = new Map<string, Float32Array | Uint8Array>();
  let offset = 0;
  for (const a of header.arrays) {
    const bytesPer = a.dtype === 'uint8' ? 1 : 4;
    const raw = new Uint8Array(payload.subarray(offset, offset + a.length * bytesPer)); // a copy: aligned
    if (raw.length !== a.length * bytesPer) throw new StateFileError(`${what} is truncated (${a.name})`);
    arrays.set(a.name, a.dtype === 'uint8' ? raw : new Float32Array(raw.buffer));
    offset += raw.length;
  }
  const f32 = (name: string) => {
    const a = arrays.get(name);
    if (!(a instanceof Float32Array)) throw new StateFileError(`${what} lacks ${name}`);
    return a;
  };
  const { arrays: _a, sha256: _s, ...scalars } = header;
  const maps = header.arrays.filter((a) => /^noise\d+$/.test(a.name)).length;
  const list = (prefix: string) => Array.from({ length: maps }, (_, i) => f32(`${prefix}${i}`));
  if (header.kind === 'done') {
    const image = arrays.get('image');
    if (!(image instanceof Uint8Array)) throw new StateFileError(`${what} lacks image`);
    if (maps === 0) {
      throw new StateFileError(`${what} is a finished image saved without its noise maps (by an older dermagan), so its projection cannot be reproduced: project into a new output folder`);
    }
    return { ...(scalars as unknown as Omit<DoneState, 'w' | 'image' | 'noise'>), w: f32('w'), noise: list('noise'), image };
  }
  if (header.kind !== 'running') throw new StateFileError(`${what}: unknown state kind ${String(header.kind)}`);
  return {
    ...(scalars as unknown as Omit<RunningState, 'w' | 'wM' | 'wV' | 'noise' | 'noiseM' | 'noiseV'>),
    w: f32('w'),
    wM: f32('wM'),
    wV: f32('wV'),
    noise: list('noise'),
    noiseM: list('noiseM'),
    noiseV: list('noiseV'),
  };
}
