/**
 * A tiny seeded PRNG for forging weights. Only integer ops, multiplications and additions are used
 * (no Math.log/cos), so the same seed gives bit-identical floats on every platform and Node version.
 */
export class Prng {
  /** xoshiro128** state as int32 values (kept int32 so V8 does not box them). */
  private readonly state = new Int32Array(4);

  /** `seed` is any safe integer; `stream` separates independent sequences under one seed (e.g. one per model). */
  constructor(seed: number, stream = 0) {
    // splitmix32 spreads the (seed, stream) pair over the 128-bit xoshiro state; an all-zero state is impossible.
    let s = Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul((seed / 0x100000000) | 0, 0x85ebca6b) ^ Math.imul(stream | 0, 0xc2b2ae35);
    for (let i = 0; i < 4; i++) {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.state[i] = z ^ (z >>> 16);
    }
    this.state[3] |= 1;
  }

  /** xoshiro128**: 32 random bits as an unsigned number. */
  nextUint32(): number {
    const st = this.state;
    const a = st[0]!, b = st[1]!, c = st[2]!, d = st[3]!;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    const c1 = c ^ a;
    const d1 = d ^ b;
    st[1] = b ^ c1;
    st[0] = a ^ d1;
    st[2] = c1 ^ t;
    st[3] = rotl(d1, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() * 2.3283064365386963e-10; // 2^-32, exact
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
    const halfWidth = Math.sqrt(3) * std;
    return this.fillRange(count, mean - halfWidth, mean + halfWidth);
  }

  /** `count` values uniform in [lo, hi). */
  fillRange(count: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(count);
    const width = (hi - lo) * 2.3283064365386963e-10;
    // nextUint32 inlined over local int32 state: this loop draws tens of millions of weights.
    const st = this.state;
    let a = st[0]!, b = st[1]!, c = st[2]!, d = st[3]!;
    for (let i = 0; i < count; i++) {
      const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl(d, 11);
      out[i] = lo + width * r;
    }
    st[0] = a; st[1] = b; st[2] = c; st[3] = d;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A stable 32-bit hash of a string (FNV-1a), used to give every replica its own PRNG stream. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
