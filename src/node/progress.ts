/**
 * Progress on stderr: a bar with rate and ETA on a terminal, plain lines every few seconds
 * otherwise (logs, CI). stdout stays free for results and `--json` documents.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  /** Seconds between plain lines when stderr is not a terminal. */
  lineEvery?: number;
  stream?: NodeJS.WriteStream;
  /** Print nothing (e.g. tests). */
  silent?: boolean;
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private suffix = '';
  private drawnAt = -1;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Advance by `n` and set a trailing text (e.g. the current loss). */
  tick(n = 1, suffix?: string): void {
    this.done += n;
    if (suffix !== undefined) this.suffix = suffix;
    const now = Date.now();
    const interval = this.tty ? 100 : (this.opts.lineEvery ?? 10) * 1000;
    // The first line waits a full interval, so the rate it shows means something.
    if (this.lastDraw === 0) this.lastDraw = now;
    if (now - this.lastDraw >= interval || this.done >= this.opts.total) {
      this.lastDraw = now;
      this.draw();
    }
  }

  finish(suffix?: string): void {
    if (suffix !== undefined) this.suffix = suffix;
    if (this.drawnAt !== this.done) this.draw();
    if (this.tty && !this.opts.silent) this.stream.write('\n');
  }

  private draw(): void {
    this.drawnAt = this.done;
    if (this.opts.silent) return;
    const { total, label, unit = 'it' } = this.opts;
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = this.done / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const pct = total > 0 ? Math.min(1, this.done / total) : 1;
    const stats = `${this.done}/${total} ${formatRate(rate, unit)} elapsed ${formatTime(elapsed)} ETA ${formatTime(eta)}`;
    const tail = this.suffix ? ` ${this.suffix}` : '';
    if (this.tty) {
      const width = 24;
      const filled = Math.round(pct * width);
      const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
      this.stream.write(`\r\x1b[K${label} [${bar}] ${(pct * 100).toFixed(0).padStart(3)}% ${stats}${tail}`);
    } else {
      this.stream.write(`${label} ${(pct * 100).toFixed(0)}% ${stats}${tail}\n`);
    }
  }
}

function formatRate(rate: number, unit: string): string {
  return rate >= 1 ? `${rate.toFixed(1)} ${unit}/s` : `${(1 / Math.max(rate, 1e-9)).toFixed(1)} s/${unit}`;
}

export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (v: number) => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
