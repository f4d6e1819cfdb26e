/**
 * Orderings of the D variables of an example, shared by every autoregressive model:
 * p(x) = prod_t p(x_{order[t]} | x_{order[0]}, ..., x_{order[t-1]}).
 * The lecture's point that the ordering matters is measurable by training the same model under several.
 *
 * Indices are positions in the row-major, channels-last layout [H, W, C]; channels of one pixel are
 * always visited consecutively (R -> G -> B), whatever the spatial ordering.
 */
import { Rng } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import type { OptionSpec } from './options.js';

export type OrderingType = 'raster' | 'snake' | 'column' | 'random' | 'custom';
export const ORDERING_TYPES: readonly OrderingType[] = ['raster', 'snake', 'column', 'random', 'custom'];

export interface OrderingSpec {
  type: OrderingType;
  /** Seed of the permutation for 'random'. */
  seed?: number;
  /** The visiting order for 'custom': a permutation of 0..D-1. */
  permutation?: number[];
}

/** The `ordering` option of every autoregressive model that takes one (./options.ts). */
export const ORDERING_OPTION: Readonly<OptionSpec> = Object.freeze({
  type: 'ordering',
  default: { type: 'raster' } as OrderingSpec,
  help: 'the order in which variables are chained: raster, snake, column, random (with a seed) or custom',
});

export class Ordering {
  /** order[t] = index of the variable visited at step t. */
  readonly order: Int32Array;
  /** position[i] = step at which variable i is visited (the inverse permutation). */
  readonly position: Int32Array;

  constructor(readonly spec: OrderingSpec, readonly shape: number[]) {
    this.order = buildOrder(spec, shape);
    this.position = new Int32Array(this.order.length);
    this.order.forEach((v, t) => (this.position[v] = t));
  }

  get size(): number {
    return this.order.length;
  }

  /** Whether variable i comes strictly before variable j. */
  precedes(i: number, j: number): boolean {
    return this.position[i] < this.position[j];
  }
}

function buildOrder(spec: OrderingSpec, shape: number[]): Int32Array {
  const D = shape.reduce((a, b) => a * b, 1);
  // Vectors ([D]) are treated as one row of D single-channel pixels.
  const [H, W, C] = shape.length === 3 ? shape : [1, D, 1];
  const order = new Int32Array(D);
  let t = 0;
  const visit = (r: number, c: number) => {
    for (let ch = 0; ch < C; ch++) order[t++] = (r * W + c) * C + ch;
  };
  switch (spec.type) {
    case 'raster':
      for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) visit(r, c);
      break;
    case 'snake':
      for (let r = 0; r < H; r++)
        for (let k = 0; k < W; k++) visit(r, r % 2 === 0 ? k : W - 1 - k);
      break;
    case 'column':
      for (let c = 0; c < W; c++) for (let r = 0; r < H; r++) visit(r, c);
      break;
    case 'random': {
      const pixels = new Rng(spec.seed ?? 0).permutation(H * W);
      for (const p of pixels) visit(Math.floor(p / W), p % W);
      break;
    }
    case 'custom': {
      const perm = spec.permutation;
      if (!perm || perm.length !== D) {
        throw new UserError(`custom ordering needs a permutation of length ${D}, got ${perm?.length ?? 'none'}`);
      }
      const seen = new Uint8Array(D);
      for (const v of perm) {
        if (!Number.isInteger(v) || v < 0 || v >= D || seen[v]) {
          throw new UserError(`custom ordering is not a permutation of 0..${D - 1} (bad or repeated entry ${v})`);
        }
        seen[v] = 1;
        order[t++] = v;
      }
      break;
    }
    default:
      throw new UserError(`unknown ordering '${(spec as OrderingSpec).type}'; expected one of ${ORDERING_TYPES.join(', ')}`);
  }
  return order;
}
