/**
 * Random numbers for the federation: a keyed, reproducible pseudo-random generator (AES-256-CTR
 * keystream, a cryptographic PRG) used for secure-aggregation masks and, seeded, for tests; and
 * the default unseeded generator for differential-privacy noise (keyed from crypto.randomBytes).
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

/** A source of uniform 32-bit words, uniforms in (0, 1) and standard normals. */
export interface Rng {
  /** The next n uniformly distributed 32-bit unsigned integers. */
  words(n: number): Uint32Array;
  /** A uniform number in the open interval (0, 1), 53 bits of precision. */
  uniform(): number;
  /** A standard normal N(0, 1) sample (Box–Muller). */
  gaussian(): number;
}

const BLOCK_WORDS = 4096;

/** AES-256-CTR keystream with a zero IV: the bytes are a pure function of the 32-byte key. */
export class KeystreamRng implements Rng {
  private readonly cipher: ReturnType<typeof createCipheriv>;
  private buffer = new Uint32Array(0);
  private at = 0;
  private spare: number | null = null;

  /** `key` must be 32 bytes; derive it with `keyFromSeed` or HKDF. */
  constructor(key: Uint8Array) {
    if (key.byteLength !== 32) throw new RangeError(`KeystreamRng: key must be 32 bytes, got ${key.byteLength}`);
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  private refill(minWords: number): void {
    const n = Math.max(BLOCK_WORDS, minWords);
    const bytes = this.cipher.update(Buffer.alloc(n * 4));
    this.buffer = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    this.at = 0;
  }

  words(n: number): Uint32Array {
    const out = new Uint32Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.at >= this.buffer.length) this.refill(Math.min(n - filled, 1 << 20));
      const take = Math.min(n - filled, this.buffer.length - this.at);
      out.set(this.buffer.subarray(this.at, this.at + take), filled);
      this.at += take;
      filled += take;
    }
    return out;
  }

  private word(): number {
    if (this.at >= this.buffer.length) this.refill(BLOCK_WORDS);
    return this.buffer[this.at++]!;
  }

  uniform(): number {
    // 53 random bits, shifted by half an ulp so 0 is impossible.
    const hi = this.word() >>> 5;
    const lo = this.word() >>> 6;
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }

  gaussian(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** A 32-byte key from any seed (number or string): SHA-256 of its text. */
export function keyFromSeed(seed: number | string): Buffer {
  return createHash('sha256').update(`dermagan-rng:${String(seed)}`).digest();
}

/** A reproducible generator for a seed. */
export function seededRng(seed: number | string): Rng {
  return new KeystreamRng(keyFromSeed(seed));
}

/** An unpredictable generator (fresh key from the OS): the default for DP noise. */
export function secureRng(): Rng {
  return new KeystreamRng(randomBytes(32));
}
