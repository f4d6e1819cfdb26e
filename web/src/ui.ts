/** Small DOM and canvas helpers shared by the views (no framework: the studio is a few forms and canvases). */
import { describeOption, formatDefault, makeGrid, parseOptionValue, scatterPlot, type GridImage, type OptionSpec } from '../../src/index.js';

/** An element with attributes and children: el('button', { id: 'go' }, 'Go'). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** A labelled form row. */
export function field(label: string, input: HTMLElement, help = ''): HTMLLabelElement {
  const row = el('label', { class: 'field', title: help }, el('span', {}, label), input);
  return row;
}

export function button(text: string, id: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { id, type: 'button' }, text);
  b.addEventListener('click', onClick);
  return b;
}

/** Draws a GridImage (gray or RGB bytes) onto a canvas at `scale` pixels per pixel. */
export function drawImage(canvas: HTMLCanvasElement, img: GridImage, scale = 1): void {
  canvas.width = img.width * scale;
  canvas.height = img.height * scale;
  const ctx = canvas.getContext('2d')!;
  const rgba = new ImageData(img.width, img.height);
  for (let i = 0; i < img.width * img.height; i++) {
    const c = img.channels;
    rgba.data[4 * i] = img.data[c * i];
    rgba.data[4 * i + 1] = img.data[c * i + (c === 3 ? 1 : 0)];
    rgba.data[4 * i + 2] = img.data[c * i + (c === 3 ? 2 : 0)];
    rgba.data[4 * i + 3] = 255;
  }
  if (scale === 1) {
    ctx.putImageData(rgba, 0, 0);
    return;
  }
  const full = new OffscreenCanvas(img.width, img.height);
  full.getContext('2d')!.putImageData(rgba, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(full, 0, 0, canvas.width, canvas.height);
}

/** Images [n * D] in the data's value range as one grid on a canvas. */
export function drawSamples(canvas: HTMLCanvasElement, values: Float32Array, n: number, shape: number[], kind: string, opts: { cols?: number; scale?: number; labels?: string[] } = {}): void {
  if (shape.length === 1 && shape[0] <= 2) {
    drawImage(canvas, scatterPlot(values, n, { size: 240 }));
    return;
  }
  const valueRange: [number, number] = kind === 'uint8' ? [0, 255] : [0, 1];
  const grid = makeGrid(values, n, shape, { valueRange, cols: opts.cols, labels: opts.labels, padding: 1 });
  drawImage(canvas, grid, opts.scale ?? 2);
}

/**
 * A form for a model's options, generated from its declaration (the same one `genlab train --help`
 * prints): numbers, booleans, choices, and text for lists and JSON. `read` parses the values as the
 * CLI parses flags, so a bad value is refused with the CLI's message.
 */
export function optionsForm(model: string, options: Record<string, OptionSpec>): { element: HTMLElement; read(): Record<string, unknown> } {
  const element = el('div', { class: 'options' });
  const readers: [string, () => unknown][] = [];
  for (const [name, spec] of Object.entries(options)) {
    if (spec.fromData) continue; // chosen from the data, as in the CLI
    const help = `${spec.help} (${describeOption(spec)})`;
    const id = `opt-${name}`;
    if (spec.type === 'boolean') {
      const box = el('input', { type: 'checkbox', id });
      box.checked = Boolean(spec.default);
      element.append(field(name, box, help));
      readers.push([name, () => box.checked]);
    } else if (spec.type === 'choice' && spec.choices) {
      const select = el('select', { id }, ...spec.choices.map((c) => el('option', { value: c }, c)));
      select.value = String(spec.default);
      element.append(field(name, select, help));
      readers.push([name, () => select.value]);
    } else {
      // The default as its flag is written (an ordering by its name, a list comma-separated), which `read` parses back.
      const text = spec.default === undefined || spec.default === null ? '' : formatDefault(spec);
      const input = el('input', { type: 'text', id, value: text });
      element.append(field(name, input, help));
      readers.push([name, () => (input.value.trim() === '' ? undefined : parseOptionValue(model, name, spec, input.value.trim()))]);
    }
  }
  return {
    element,
    read() {
      const out: Record<string, unknown> = {};
      for (const [name, read] of readers) {
        const value = read();
        if (value !== undefined) out[name] = value;
      }
      return out;
    },
  };
}

/** A line chart of named series against the step, redrawn on every `add`. */
export class LineChart {
  readonly canvas: HTMLCanvasElement;
  private readonly series = new Map<string, { x: number[]; y: number[] }>();
  private static readonly COLORS = ['#1565c0', '#e65100', '#2e7d32', '#6a1b9a', '#c62828', '#00838f'];

  constructor(id: string, width = 480, height = 220) {
    this.canvas = el('canvas', { id, width: String(width), height: String(height) });
  }

  clear(): void {
    this.series.clear();
    this.draw();
  }

  add(step: number, values: Record<string, number>): void {
    for (const [name, v] of Object.entries(values)) {
      if (!Number.isFinite(v)) continue;
      let s = this.series.get(name);
      if (!s) this.series.set(name, (s = { x: [], y: [] }));
      s.x.push(step);
      s.y.push(v);
    }
    this.draw();
  }

  private draw(): void {
    const { canvas } = this;
    const ctx = canvas.getContext('2d')!;
    const W = canvas.width, H = canvas.height, pad = 36;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    const all = [...this.series.values()];
    if (all.every((s) => s.x.length === 0)) return;
    const xs = all.flatMap((s) => s.x), ys = all.flatMap((s) => s.y);
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
    let y0 = Math.min(...ys), y1 = Math.max(...ys);
    if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
    const px = (x: number) => pad + ((x - x0) / (x1 - x0)) * (W - pad - 8);
    const py = (y: number) => H - pad + 8 - ((y - y0) / (y1 - y0)) * (H - pad - 8);
    ctx.strokeStyle = '#999';
    ctx.strokeRect(pad, 8, W - pad - 8, H - pad);
    ctx.fillStyle = '#555';
    ctx.font = '10px sans-serif';
    ctx.fillText(y1.toPrecision(4), 2, 14);
    ctx.fillText(y0.toPrecision(4), 2, H - pad + 8);
    ctx.fillText(`step ${x1}`, W - 70, H - 6);
    let i = 0;
    for (const [name, s] of this.series) {
      const color = LineChart.COLORS[i % LineChart.COLORS.length];
      ctx.strokeStyle = color;
      ctx.beginPath();
      s.x.forEach((x, j) => (j ? ctx.lineTo(px(x), py(s.y[j])) : ctx.moveTo(px(x), py(s.y[j]))));
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.fillText(name, pad + 6 + 90 * i, H - 6);
      i++;
    }
  }
}

/** Lets the page paint and handle input between the chunks of a long loop. */
export function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Canvas pixel under a mouse event, in the canvas's own pixels (it may be drawn scaled by CSS). */
export function canvasPixel(canvas: HTMLCanvasElement, e: MouseEvent): [number, number] {
  const rect = canvas.getBoundingClientRect();
  // The bounding box includes the border; clientLeft / clientWidth are the drawing area's.
  const x = ((e.clientX - rect.left - canvas.clientLeft) * canvas.width) / canvas.clientWidth;
  const y = ((e.clientY - rect.top - canvas.clientTop) * canvas.height) / canvas.clientHeight;
  return [x, y];
}
