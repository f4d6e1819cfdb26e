/**
 * Seeded pseudo-random numbers (xoshiro128**, Blackman & Vigna 2018) whose whole state is four
 * 32-bit words, so a checkpoint can store it and a resumed run continues the same stream.
 * Used for everything a seed must fix: data order, binarization draws, initialisation, sampling.
 */
/** The four words of xoshiro128**, then the cached second normal of a Box-Muller pair when one is pending. */
export type RngState = [number, number, number, number] | [number, number, number, number, number];

export class Rng {
  private s: Uint32Array;
  private spareNormal: number | null = null;

  constructor(seed: number | RngState = 0) {
    this.s = new Uint32Array(4);
    if (Array.isArray(seed)) {
      this.setState(seed);
    } else {
      // SplitMix32 expands one seed into four well-mixed words (an all-zero state would be stuck).
      let x = seed >>> 0;
      for (let i = 0; i < 4; i++) {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        this.s[i] = (z ^ (z >>> 16)) >>> 0;
      }
    }
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A fresh integer seed drawn from this stream (to seed tf ops or a child Rng). */
  seed(): number {
    return this.nextUint32();
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** The whole state, including a pending spare normal, so a restored stream continues exactly. */
  getState(): RngState {
    const words: [number, number, number, number] = [this.s[0], this.s[1], this.s[2], this.s[3]];
    return this.spareNormal === null ? words : [...words, this.spareNormal];
  }

  setState(state: RngState): void {
    this.s.set(state.slice(0, 4));
    this.spareNormal = state.length > 4 ? state[4]! : null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * n standard normals from `rng`, as float32. An odd count draws one more and drops it, so each
 * call uses whole Box-Muller pairs and a step's noise does not depend on a spare left by the one
 * before (the saved state holds the spare anyway; this keeps older runs' noise streams).
 */
export function standardNormals(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  if (n % 2 === 1) rng.normal();
  return out;
}
