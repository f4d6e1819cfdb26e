/**
 * The part of gifenc 1.0 (which ships no types) that genlab uses, from its README. The package is
 * CommonJS whose exports Node cannot list for an ES import, so it is imported whole as the default.
 */
declare module 'gifenc' {
  /** A colour table: [r, g, b] (or [r, g, b, a] for the 'rgba4444' format) per entry, at most 256. */
  export type Palette = number[][];
  export type ColorFormat = 'rgb565' | 'rgb444' | 'rgba4444';

  export interface GifFrameOptions {
    /** The frame's colour table; the first frame's is the global one, later frames default to it. */
    palette?: Palette;
    /** Delay after this frame, milliseconds. */
    delay?: number;
    /** 0: loop forever (default), -1: play once, n: n repetitions. */
    repeat?: number;
    transparent?: boolean;
    transparentIndex?: number;
    dispose?: number;
    first?: boolean;
  }

  export interface GifEncoderStream {
    writeFrame(index: Uint8Array, width: number, height: number, opts?: GifFrameOptions): void;
    finish(): void;
    /** A copy of the bytes written. */
    bytes(): Uint8Array;
    bytesView(): Uint8Array;
  }

  const gifenc: {
    /** A palette of at most maxColors colours for flat RGBA pixels. */
    quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, options?: { format?: ColorFormat }): Palette;
    /** The index of the nearest palette colour for each RGBA pixel. */
    applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: ColorFormat): Uint8Array;
    GIFEncoder(opts?: { auto?: boolean; initialCapacity?: number }): GifEncoderStream;
  };
  export default gifenc;
}
