/**
 * A tiny seeded PRNG for forging weights. Only integer ops, multiplications and additions are used
 * (no Math.log/cos), so the same seed gives bit-identical floats on every platform and Node version.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is any safe integer; `stream` separates independent sequences under one seed (e.g. one per model). */
  constructor(seed: number, stream = 0) {
    // splitmix32 spreads the (seed, stream) pair over the 128-bit xoshiro state; an all-zero state is impossible.
    let s = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul((seed / 0x100000000) | 0, 0x85ebca6b) ^ Math.imul(stream | 0, 0xc2b2ae35)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  /** xoshiro128**: 32 random bits. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /**
   * `count` float32 values with the given mean and standard deviation, drawn uniformly
   * (a uniform on [−√3σ, √3σ] has std σ; the shape of the distribution does not matter for a replica).
   */
  fill(count: number, std: number, mean = 0): Float32Array {
    const out = new Float32Array(count);
    const halfWidth = Math.sqrt(3) * std;
    for (let i = 0; i < count; i++) out[i] = mean + halfWidth * (2 * this.uniform() - 1);
    return out;
  }

  /** `count` values uniform in [lo, hi). */
  fillRange(count: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A stable 32-bit hash of a string (FNV-1a), used to give every replica its own PRNG stream. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
