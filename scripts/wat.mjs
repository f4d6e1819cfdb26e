// What scripts/build-wasm.mjs compiles, and how (shared with the test that checks the output is current).
import wabtFactory from 'wabt';

export const WAT_MODULES = [{ wat: 'src/core/kernels/adam.wat', out: 'src/core/kernels/adamWasm.ts', exportName: 'ADAM_WASM_BASE64' }];

/** The binary module of a .wat text (SIMD on, as every engine we target has it). */
export async function compileWat(text, name) {
  const wabt = await wabtFactory();
  const parsed = wabt.parseWat(name, text, { simd: true });
  try {
    parsed.resolveNames();
    parsed.validate();
    return parsed.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    parsed.destroy();
  }
}
