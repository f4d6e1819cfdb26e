/**
 * The GAN lab: one picture of a two-player game on 1-D or 2-D data, as the interactive GAN Lab of
 * Kahng et al. 2018 ("GAN Lab: Understanding Complex Deep Generative Models using Interactive Visual
 * Experimentation") draws it, one frame per snapshot of a run, so that a sequence of frames shows
 * D and G chasing each other (Goodfellow et al. 2014, Fig. 1 draws the same quantities in 1-D).
 *
 * Layout (RGB on white; `size` = S pixels per panel, default 256): width 2S + 24, height S + 64, the
 * panels' top-left pixels at (8, 40) and (S + 16, 40); text is the 3 x 5 font drawn twice as large.
 *
 *     STEP 1200   [#] REAL  [#] GENERATED   (7 GENERATED OUT OF VIEW)
 *     D(X) 0 [colour bar] 1                 G(Z) OF A Z GRID
 *     +--------------------------+          +--------------------------+
 *     | D's output as a heat map |          | G's image of a z grid:   |
 *     | real points  (green)     |          | the grid's lines, mapped |
 *     | generated points (orange)|          | (over faint real points) |
 *     +--------------------------+          +--------------------------+
 *     X AND Y: -2.9 TO 2.9                  Z1 Z2: -2 TO 2
 *
 * 2-D data. Left: D over the view square, pale purple (D says fake) through white (undecided) to
 * pale green (D says real); a probability on the fixed scale [0, 1], a critic (unbounded, defined
 * up to a constant) scaled to its own range in this frame, the range printed. Right: the lines of a
 * regular grid of z over [-zRange, zRange] in z1 and z2 (the rest of z 0), each mapped through G: a
 * warped mesh, lines along which z1 varies in blue, those along which z2 varies in red (one line
 * when z has one coordinate). Both panels show the same view square, so the mesh lands on the data.
 *
 * 1-D data. Left: the same D colours as vertical bands over x, D(x) as a black curve (bottom 0, top
 * 1, or the critic's range), and the histograms of real (green) and generated (orange) points as
 * outlines, each as shares of its own points on one scale. Right: G's mapping z1 -> x (the rest of
 * z 0) as a curve, z1 across, x up over the same view range, real points as a rug on the left edge.
 *
 * `ganLabFrame` is pure (plain arrays in, an image out); `ganLabSnapshot` computes its input from a
 * model. Browser-safe; returns the image form of makeGrid, written by the Node side with writePng.
 */
import { check } from '../core/errors.js';
import { Rng, standardNormals } from '../core/rng.js';
import type { AdversarialModel } from '../models/capabilities.js';
import { drawText, type GridImage } from './grid.js';
import { finiteRange } from './scatter.js';

/** Everything one frame shows, as plain arrays (`ganLabSnapshot` computes it from a model). */
export interface GanLabInput {
  /** Training step, printed in the corner. */
  step: number;
  /** Dimension of a data point: 1 or 2. */
  dim: number;
  /** The view: [lo, hi] on every data axis (both axes share it, so distances read true). */
  range: [number, number];
  /** Real points, [nReal * dim]. */
  real: Float32Array;
  /** Generated points G(z), [nGenerated * dim]. */
  generated: Float32Array;
  /** D at the centres of the view grid `ganLabGrid(range, resolution, dim)`: [resolution ** dim]. */
  discriminator: Float32Array;
  /** What `discriminator` holds: a probability of being real (drawn on [0, 1]) or a critic value (drawn on its range). */
  discriminatorOutput: 'probability' | 'critic';
  /** G over the z grid's lines (`zGridLines`): [lines, pointsPerLine, dim] for each direction. */
  mesh: GeneratorMesh;
  /** Size of z, for the caption (z beyond its first two coordinates is held at 0). */
  latentSize: number;
}

/** The images under G of the lines of a regular z grid. */
export interface GeneratorMesh {
  /** [lines * pointsPerLine * dim]: lines along which z1 varies (z2 fixed per line), in order of z2. */
  alongZ1: Float32Array;
  /** The same for the lines along which z2 varies; absent when only z1 varies (latentSize 1, or 1-D data). */
  alongZ2?: Float32Array;
  lines: number;
  pointsPerLine: number;
  /** The grid covers [-zRange, zRange] in each varied coordinate. */
  zRange: number;
}

export interface GanLabFrameOptions {
  /** Panel width and height in pixels (default 256; at least 64). */
  size?: number;
}

const GAP = 8;
/** Text is drawn at twice the 3 x 5 font: glyphs 6 x 10, 8 pixels per character. */
const TEXT_SCALE = 2;
const TEXT_H = 5 * TEXT_SCALE;
const CHAR_W = 4 * TEXT_SCALE;
const LINE_H = TEXT_H + 6;
const PANEL_TOP = GAP + 2 * LINE_H;

export const REAL_COLOR: readonly [number, number, number] = [0, 104, 55];
export const GENERATED_COLOR: readonly [number, number, number] = [230, 85, 13];
const ALONG_Z1_COLOR: readonly number[] = [31, 119, 180];
const ALONG_Z2_COLOR: readonly number[] = [214, 39, 40];
const FAINT: readonly number[] = [200, 200, 200];
const AXIS: readonly number[] = [228, 228, 228];
const BORDER: readonly number[] = [160, 160, 160];
const INK: readonly number[] = [40, 40, 40];

/**
 * D's colour scale, the pale inner stops of ColorBrewer's PRGn: purple where D says fake (0), white
 * where it cannot tell (0.5, the equilibrium of Goodfellow et al. 2014, Prop. 1), green where it
 * says real (1); pale so that the points drawn over it stand out.
 */
const D_STOPS: readonly (readonly [number, number, number])[] = [
  [194, 165, 207],
  [231, 212, 232],
  [247, 247, 247],
  [217, 240, 211],
  [166, 219, 160],
];

/** The heat-map colour of t in [0, 1] (clamped): piecewise linear through D_STOPS, rounded. */
export function discriminatorColor(t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5)) * (D_STOPS.length - 1);
  const k = Math.min(D_STOPS.length - 2, Math.floor(u));
  const f = u - k;
  const [a, b] = [D_STOPS[k], D_STOPS[k + 1]];
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c]))) as [number, number, number];
}

/**
 * The view grid D is evaluated on: the centres of `resolution` cells per axis over `range`.
 * 2-D: [resolution * resolution * 2] points (x, y), row-major with row 0 at the top (largest y), as
 * an image; 1-D: [resolution] values of x, left to right.
 */
export function ganLabGrid(range: [number, number], resolution: number, dim: number): Float32Array {
  check(dim === 1 || dim === 2, () => `ganLabGrid: the GAN lab draws 1-D or 2-D data, got ${dim}-D`);
  check(Number.isInteger(resolution) && resolution >= 2, () => `ganLabGrid: resolution must be an integer >= 2, got ${resolution}`);
  const [lo, hi] = range;
  const cell = (hi - lo) / resolution;
  if (dim === 1) return Float32Array.from({ length: resolution }, (_, c) => lo + (c + 0.5) * cell);
  const points = new Float32Array(resolution * resolution * 2);
  for (let r = 0; r < resolution; r++) {
    for (let c = 0; c < resolution; c++) {
      points[2 * (r * resolution + c)] = lo + (c + 0.5) * cell;
      points[2 * (r * resolution + c) + 1] = hi - (r + 0.5) * cell;
    }
  }
  return points;
}

/**
 * The z grid whose image G's mesh is: `lines` lines along z1 (z2 at evenly spaced values over
 * [-zRange, zRange]), then, when `twoD`, as many along z2, each `pointsPerLine` points; the rest of
 * z is 0. [(twoD ? 2 : 1) * lines * pointsPerLine * latentSize]. With one line it lies on z2 = 0.
 */
export function zGridLines(latentSize: number, zRange: number, lines: number, pointsPerLine: number, twoD: boolean): Float32Array {
  check(!twoD || latentSize >= 2, () => `zGridLines: a z grid in two coordinates needs latentSize >= 2, got ${latentSize}`);
  const at = (k: number, count: number) => (count === 1 ? 0 : -zRange + (2 * zRange * k) / (count - 1));
  const directions = twoD ? 2 : 1;
  const z = new Float32Array(directions * lines * pointsPerLine * latentSize);
  for (let d = 0; d < directions; d++) {
    for (let l = 0; l < lines; l++) {
      for (let p = 0; p < pointsPerLine; p++) {
        const row = ((d * lines + l) * pointsPerLine + p) * latentSize;
        // d = 0: z1 moves along the line, z2 names the line; d = 1 the other way round.
        z[row + d] = at(p, pointsPerLine);
        if (latentSize >= 2) z[row + 1 - d] = at(l, lines);
      }
    }
  }
  return z;
}

/** One frame of the GAN lab (layout in the file header). */
export function ganLabFrame(input: GanLabInput, opts: GanLabFrameOptions = {}): GridImage {
  const { dim, range, real, generated, discriminator, mesh } = input;
  const S = opts.size ?? 256;
  check(Number.isInteger(S) && S >= 64, () => `ganLabFrame: size must be an integer >= 64, got ${S}`);
  check(dim === 1 || dim === 2, () => `ganLabFrame: the GAN lab draws 1-D or 2-D data, got ${dim}-D`);
  check(range[1] > range[0], () => `ganLabFrame: the view range [${range[0]}, ${range[1]}] is empty`);
  check(real.length % dim === 0 && generated.length % dim === 0, 'ganLabFrame: real and generated points need dim values each');
  const resolution = dim === 2 ? Math.round(Math.sqrt(discriminator.length)) : discriminator.length;
  check(resolution >= 2 && resolution ** dim === discriminator.length, () => `ganLabFrame: ${discriminator.length} D values are not a ${dim}-D grid`);
  const lineValues = mesh.lines * mesh.pointsPerLine * dim;
  check(mesh.alongZ1.length === lineValues && (!mesh.alongZ2 || mesh.alongZ2.length === lineValues), 'ganLabFrame: the mesh needs lines * pointsPerLine points per direction');

  const width = 2 * S + 3 * GAP;
  const height = PANEL_TOP + S + 6 + TEXT_H + GAP;
  const img: GridImage = { width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(255) };
  const left = new Panel(img, GAP, PANEL_TOP, S);
  const right = new Panel(img, 2 * GAP + S, PANEL_TOP, S);

  // 1. D's values as colour-scale positions: fixed for a probability, this frame's range for a critic.
  const [dLo, dHi] = input.discriminatorOutput === 'probability' ? [0, 1] : finiteRange(discriminator);
  const scaled = (v: number) => (dHi > dLo ? (v - dLo) / (dHi - dLo) : 0.5);

  // 2. The panels.
  const outOfView = dim === 2 ? drawPlane(left, right, input, resolution, scaled) : drawLine(left, right, input, resolution, scaled);
  left.border();
  right.border();

  // 3. Text: step and legend, panel titles (D's scale beside the left one), captions of the ranges.
  let x = GAP;
  x = text(img, x, GAP, `STEP ${input.step}`, INK) + 2 * CHAR_W;
  for (const [name, color] of [['REAL', REAL_COLOR], ['GENERATED', GENERATED_COLOR]] as const) {
    fillRect(img, x, GAP + 1, TEXT_H - 2, TEXT_H - 2, color);
    x = text(img, x + TEXT_H + 2, GAP, name, INK) + 2 * CHAR_W;
  }
  if (outOfView > 0) text(img, x, GAP, `(${outOfView} GENERATED OUT OF VIEW)`, GENERATED_COLOR);
  const titleY = GAP + LINE_H;
  const isCritic = input.discriminatorOutput === 'critic';
  x = text(img, GAP, titleY, isCritic ? `CRITIC ${formatValue(dLo)} ` : 'D(X) 0 ', INK);
  const barW = Math.min(64, S / 4);
  for (let i = 0; i < barW; i++) fillRect(img, x + i, titleY, 1, TEXT_H, discriminatorColor(i / (barW - 1)));
  text(img, x + barW + CHAR_W / 2, titleY, isCritic ? formatValue(dHi) : '1', INK);
  text(img, right.left, titleY, dim === 1 ? `X = G(${input.latentSize > 1 ? 'Z1' : 'Z'})` : mesh.alongZ2 ? 'G(Z) OF A Z GRID' : 'G(Z) OF A LINE OF Z', INK);
  const captionY = PANEL_TOP + S + 6;
  // (The font has no brackets or commas.)
  text(img, GAP, captionY, `${dim === 2 ? 'X AND Y' : 'X'}: ${formatValue(range[0])} TO ${formatValue(range[1])}`, INK);
  const zCaption = `: ${formatValue(-mesh.zRange)} TO ${formatValue(mesh.zRange)}${input.latentSize > (mesh.alongZ2 ? 2 : 1) ? ' (REST 0)' : ''}`;
  if (mesh.alongZ2) {
    x = text(img, right.left, captionY, 'Z1', ALONG_Z1_COLOR);
    x = text(img, x + CHAR_W, captionY, 'Z2', ALONG_Z2_COLOR);
    text(img, x, captionY, zCaption, INK);
  } else {
    text(img, right.left, captionY, `${input.latentSize > 1 ? 'Z1' : 'Z'}${zCaption}`, INK);
  }
  return img;
}

/** 2-D data: heat map and points on the left, G's mesh on the right. Returns the generated points out of view. */
function drawPlane(left: Panel, right: Panel, input: GanLabInput, resolution: number, scaled: (v: number) => number): number {
  const { range, real, generated, discriminator, mesh } = input;
  const S = left.size;
  // The heat map: each pixel takes the colour of the grid cell it lies in (cells of S / resolution pixels).
  const cellColors = Array.from(discriminator, (v) => discriminatorColor(scaled(v)));
  for (let row = 0; row < S; row++) {
    for (let col = 0; col < S; col++) left.set(col, row, cellColors[Math.floor((row * resolution) / S) * resolution + Math.floor((col * resolution) / S)]);
  }
  const toCol = (v: number) => Math.floor(((v - range[0]) / (range[1] - range[0])) * S);
  const toRow = (v: number) => S - 1 - toCol(v);
  const dots = (points: Float32Array, color: readonly number[], panel: Panel): number => {
    let outside = 0;
    for (let i = 0; i < points.length; i += 2) {
      const col = toCol(points[i]);
      const row = toRow(points[i + 1]);
      if (col >= 0 && col < S && row >= 0 && row < S) panel.fill(col, row, 2, 2, color);
      else outside++;
    }
    return outside;
  };
  dots(real, REAL_COLOR, left);
  const outOfView = dots(generated, GENERATED_COLOR, left);

  // G's mesh over faint real points and the axes, in continuous pixel coordinates.
  right.axes(toCol(0), toRow(0), range[0] < 0 && range[1] > 0, range[0] < 0 && range[1] > 0);
  dots(real, FAINT, right);
  const px = (v: number) => ((v - range[0]) / (range[1] - range[0])) * S;
  const py = (v: number) => S - px(v);
  const drawLines = (values: Float32Array, color: readonly number[]) => {
    for (let l = 0; l < mesh.lines; l++) {
      const start = l * mesh.pointsPerLine;
      for (let p = start; p + 1 < start + mesh.pointsPerLine; p++) {
        right.line(px(values[2 * p]), py(values[2 * p + 1]), px(values[2 * p + 2]), py(values[2 * p + 3]), color, 1);
      }
    }
  };
  if (mesh.alongZ2) drawLines(mesh.alongZ2, ALONG_Z2_COLOR);
  drawLines(mesh.alongZ1, ALONG_Z1_COLOR);
  return outOfView;
}

/** 1-D data: D bands, D curve and histograms on the left, the curve z1 -> x on the right. */
function drawLine(left: Panel, right: Panel, input: GanLabInput, resolution: number, scaled: (v: number) => number): number {
  const { range, real, generated, discriminator, mesh } = input;
  const S = left.size;
  const [lo, hi] = range;
  for (let col = 0; col < S; col++) {
    const color = discriminatorColor(scaled(discriminator[Math.floor((col * resolution) / S)]));
    for (let row = 0; row < S; row++) left.set(col, row, color);
  }
  // Histograms on shared bins of 4 pixels, as shares of each set's own points, on one vertical scale.
  const bins = Math.floor(S / 4);
  const shares = (values: Float32Array) => {
    const h = new Float64Array(bins);
    for (const v of values) {
      const b = Math.floor(((v - lo) / (hi - lo)) * bins);
      if (b >= 0 && b < bins) h[b] += 1 / values.length;
    }
    return h;
  };
  const realShares = shares(real);
  const generatedShares = shares(generated);
  const top = Math.max(1e-12, ...realShares, ...generatedShares);
  const outline = (h: Float64Array, color: readonly number[]) => {
    const y = (b: number) => S - 1 - (h[b] / top) * 0.9 * (S - 2);
    for (let b = 0; b < bins; b++) {
      left.line(b * 4, y(b), (b + 1) * 4 - 1, y(b), color, 2);
      if (b + 1 < bins) left.line((b + 1) * 4 - 1, y(b), (b + 1) * 4 - 1, y(b + 1), color, 2);
    }
  };
  outline(realShares, REAL_COLOR);
  outline(generatedShares, GENERATED_COLOR);
  for (let c = 0; c + 1 < resolution; c++) {
    const x = (k: number) => ((k + 0.5) * S) / resolution;
    const y = (k: number) => (S - 2) * (1 - Math.min(1, Math.max(0, scaled(discriminator[k]))));
    left.line(x(c), y(c), x(c + 1), y(c + 1), [0, 0, 0], 2);
  }
  let outOfView = 0;
  for (const v of generated) if (!(v >= lo && v < hi)) outOfView++;

  // G: z1 across [-zRange, zRange], x up over the view; real points as a rug on the left edge.
  const row = (v: number) => S - ((v - lo) / (hi - lo)) * S;
  right.axes(Math.floor((S - 1) / 2), Math.floor(row(0)), true, lo < 0 && hi > 0);
  for (const v of real) if (v >= lo && v < hi) right.fill(0, Math.floor(row(v)), 4, 1, FAINT);
  const M = mesh.pointsPerLine;
  const col = (p: number) => (p / (M - 1)) * (S - 1);
  for (let p = 0; p + 1 < M; p++) right.line(col(p), row(mesh.alongZ1[p]), col(p + 1), row(mesh.alongZ1[p + 1]), GENERATED_COLOR, 2);
  return outOfView;
}

/** A square drawing area of `size` pixels inside the frame; everything drawn is clipped to it. */
class Panel {
  constructor(
    private readonly img: GridImage,
    readonly left: number,
    readonly top: number,
    readonly size: number,
  ) {}

  set(col: number, row: number, rgb: readonly number[]): void {
    if (col < 0 || col >= this.size || row < 0 || row >= this.size) return;
    this.img.data.set(rgb, ((this.top + row) * this.img.width + this.left + col) * 3);
  }

  fill(col: number, row: number, w: number, h: number, rgb: readonly number[]): void {
    for (let r = row; r < row + h; r++) for (let c = col; c < col + w; c++) this.set(c, r, rgb);
  }

  /** Light lines through the pixel column and row of 0, where 0 is in view. */
  axes(zeroCol: number, zeroRow: number, vertical: boolean, horizontal: boolean): void {
    for (let k = 0; k < this.size; k++) {
      if (vertical) this.set(zeroCol, k, AXIS);
      if (horizontal) this.set(k, zeroRow, AXIS);
    }
  }

  /**
   * A straight line between two points in continuous pixel coordinates (x right, y down), `thick`
   * pixels wide, clipped to the panel first: a generator that diverged maps z far out of view.
   */
  line(x0: number, y0: number, x1: number, y1: number, rgb: readonly number[], thick: number): void {
    const clipped = clipSegment(x0, y0, x1, y1, this.size);
    if (!clipped) return;
    const [a, b, c, d] = clipped;
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(c - a), Math.abs(d - b))));
    for (let s = 0; s <= steps; s++) {
      const col = Math.floor(a + ((c - a) * s) / steps);
      const row = Math.floor(b + ((d - b) * s) / steps);
      this.fill(col, row, thick, thick, rgb);
    }
  }

  /** A one-pixel frame just outside the panel. */
  border(): void {
    for (let k = -1; k <= this.size; k++) {
      for (const [col, row] of [[k, -1], [k, this.size], [-1, k], [this.size, k]]) {
        this.img.data.set(BORDER, ((this.top + row) * this.img.width + this.left + col) * 3);
      }
    }
  }
}

/** Liang-Barsky: the part of a segment inside [0, size) x [0, size), or undefined (none, or not finite). */
function clipSegment(x0: number, y0: number, x1: number, y1: number, size: number): [number, number, number, number] | undefined {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return undefined;
  const max = size - 1e-6;
  const dx = x1 - x0;
  const dy = y1 - y0;
  let t0 = 0;
  let t1 = 1;
  for (const [p, q] of [[-dx, x0], [dx, max - x0], [-dy, y0], [dy, max - y0]]) {
    if (p === 0) {
      if (q < 0) return undefined;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return undefined;
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

/** Writes `s` at twice the font's size with its top-left at (x, y); returns the x after it. */
function text(img: GridImage, x: number, y: number, s: string, rgb: readonly number[]): number {
  const glyphs: GridImage = { width: 4 * s.length, height: 5, channels: 1, data: new Uint8Array(4 * s.length * 5) };
  drawText(glyphs, 0, 0, s, [1]);
  for (let gy = 0; gy < glyphs.height; gy++) {
    for (let gx = 0; gx < glyphs.width; gx++) {
      if (glyphs.data[gy * glyphs.width + gx]) fillRect(img, x + TEXT_SCALE * gx, y + TEXT_SCALE * gy, TEXT_SCALE, TEXT_SCALE, rgb);
    }
  }
  return x + CHAR_W * s.length;
}

function fillRect(img: GridImage, x: number, y: number, w: number, h: number, rgb: readonly number[]): void {
  for (let yy = Math.max(0, y); yy < Math.min(img.height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(img.width, x + w); xx++) img.data.set(rgb, (yy * img.width + xx) * 3);
  }
}


/** Three significant digits, as the 3 x 5 font can write them (E for the exponent). */
function formatValue(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** The view square of a set of points: their range on every axis, widened by a quarter on each side. */
export function ganLabRange(points: Float32Array): [number, number] {
  const [lo, hi] = finiteRange(points);
  const half = Math.max(hi - lo, 1e-3) * 0.75;
  const mid = (lo + hi) / 2;
  return [mid - half, mid + half];
}

export interface GanLabSnapshotOptions {
  /** The view on every data axis (default `ganLabRange` of `real`: fixed across frames for the same real points). */
  range?: [number, number];
  /** D grid cells per axis (default 128 for 2-D, 256 for 1-D). */
  resolution?: number;
  /** Real points shown, the first of `real` (default: all of them, at most 512 for 2-D and 5000 for 1-D). */
  realCount?: number;
  /** Generated points (default 512 for 2-D, 5000 for 1-D, where they make a histogram). */
  generatedCount?: number;
  /** The z grid covers [-zRange, zRange] in each varied coordinate (default 2: 95% of each N(0, 1) coordinate). */
  zRange?: number;
  /** Grid lines per direction (default 11, for 2-D data with latentSize >= 2). */
  meshLines?: number;
  /** Points per grid line (default 41 for 2-D data, 101 for 1-D). */
  meshPoints?: number;
}

/** D and G at most this many points per call, so that the largest activation stays bounded. */
const CHUNK = 4096;

/**
 * The input of `ganLabFrame` at `step`, computed from the model's current players: D over the
 * view grid, G of fresh-looking but fixed noise and of the z grid. `real` is [n * dim] with dim 1
 * or 2. The noise is drawn from a copy of `rng`, which is left as it was: pass the same Rng (built
 * once from a seed) at every frame and every frame shows the same z, so an animation moves only
 * with training.
 */
export async function ganLabSnapshot(
  model: AdversarialModel,
  real: Float32Array,
  dim: number,
  step: number,
  rng: Rng,
  opts: GanLabSnapshotOptions = {},
): Promise<GanLabInput> {
  check(dim === 1 || dim === 2, () => `ganLabSnapshot: the GAN lab draws 1-D or 2-D data, got ${dim}-D`);
  check(real.length >= dim && real.length % dim === 0, 'ganLabSnapshot: real needs at least one point of dim values');
  const range = opts.range ?? ganLabRange(real);
  const resolution = opts.resolution ?? (dim === 2 ? 128 : 256);
  const realCount = Math.min(real.length / dim, opts.realCount ?? (dim === 2 ? 512 : 5000));
  const generatedCount = opts.generatedCount ?? (dim === 2 ? 512 : 5000);
  const zRange = opts.zRange ?? 2;
  const L = model.latentSize;
  check(Number.isInteger(generatedCount) && generatedCount >= 1, () => `ganLabSnapshot: generatedCount must be a positive integer, got ${generatedCount}`);

  // 1. D over the view grid.
  const grid = ganLabGrid(range, resolution, dim);
  const discriminator = await inChunks(grid, grid.length / dim, dim, 1, (x, n) => model.discriminate(x, n));

  // 2. G of the fixed noise (a copy of rng: the caller's stream is not advanced).
  const z = standardNormals(new Rng(rng.getState()), generatedCount * L);
  const generated = await inChunks(z, generatedCount, L, dim, (zs, n) => model.generate(zs, n));

  // 3. G of the z grid's lines: a mesh over (z1, z2) for 2-D data and z of two or more coordinates, else one line along z1.
  const twoD = dim === 2 && L >= 2;
  const lines = twoD ? (opts.meshLines ?? 11) : 1;
  const pointsPerLine = opts.meshPoints ?? (dim === 2 ? 41 : 101);
  check(Number.isInteger(lines) && lines >= 1 && (lines >= 2 || !twoD), () => `ganLabSnapshot: meshLines must be an integer >= 2, got ${lines}`);
  check(Number.isInteger(pointsPerLine) && pointsPerLine >= 2, () => `ganLabSnapshot: meshPoints must be an integer >= 2, got ${pointsPerLine}`);
  const zGrid = zGridLines(L, zRange, lines, pointsPerLine, twoD);
  const mapped = await inChunks(zGrid, zGrid.length / L, L, dim, (zs, n) => model.generate(zs, n));
  const perDirection = lines * pointsPerLine * dim;
  const mesh: GeneratorMesh = {
    alongZ1: mapped.slice(0, perDirection),
    ...(twoD && { alongZ2: mapped.slice(perDirection) }),
    lines,
    pointsPerLine,
    zRange,
  };
  return {
    step,
    dim,
    range,
    real: real.slice(0, realCount * dim),
    generated,
    discriminator,
    discriminatorOutput: model.discriminatorOutput,
    mesh,
    latentSize: L,
  };
}

/** `f` over n rows of `inSize` values, CHUNK rows at a time, each answer `outSize` values per row. */
async function inChunks(
  x: Float32Array,
  n: number,
  inSize: number,
  outSize: number,
  f: (x: Float32Array, n: number) => Promise<Float32Array>,
): Promise<Float32Array> {
  const out = new Float32Array(n * outSize);
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    const y = await f(x.subarray(start * inSize, (start + m) * inSize), m);
    check(y.length === m * outSize, () => `ganLabSnapshot: the model answered ${y.length} values for ${m} points (expected ${m * outSize})`);
    out.set(y, start * outSize);
  }
  return out;
}
