// What scripts/build-wasm.mjs compiles, and how (shared with the test that checks the output is current).
import wabtFactory from 'wabt';

/**
 * Each .wat is compiled twice: importing the plain memory of tfjs-backend-wasm's single-threaded
 * build, and the shared memory of its multi-threaded build (a cross-origin-isolated page), whose
 * import must say `shared` and give a maximum (Emscripten's is at most 65,536 pages, 4 GiB).
 */
export const WAT_MODULES = [
  { wat: 'src/core/kernels/adam.wat', out: 'src/core/kernels/adamWasm.ts', exportName: 'ADAM_WASM_BASE64' },
  { wat: 'src/core/kernels/filtergrad.wat', out: 'src/core/kernels/filterGradWasm.ts', exportName: 'FILTER_GRAD_WASM_BASE64' },
  { wat: 'src/core/kernels/tanh.wat', out: 'src/core/kernels/tanhWasm.ts', exportName: 'TANH_WASM_BASE64' },
];
const PLAIN_MEMORY = '(import "env" "memory" (memory 1))';
const SHARED_MEMORY = '(import "env" "memory" (memory 1 65536 shared))';

/** The binary modules of a .wat text, { plain, shared } (SIMD on, as every engine we target has it). */
export async function compileWat(text, name) {
  if (!text.includes(PLAIN_MEMORY)) throw new Error(`${name}: expected the memory import ${PLAIN_MEMORY}`);
  const wabt = await wabtFactory();
  const compile = (source, validate) => {
    const parsed = wabt.parseWat(name, source, { simd: true, threads: true });
    try {
      parsed.resolveNames();
      // wabt.js's validator ignores the threads feature and refuses any shared memory; the shared
      // build differs from the validated plain one only in its import, and the engine validates it.
      if (validate) parsed.validate();
      return parsed.toBinary({ log: false, write_debug_names: false }).buffer;
    } finally {
      parsed.destroy();
    }
  };
  const shared = compile(text.replace(PLAIN_MEMORY, SHARED_MEMORY), false);
  if (!WebAssembly.validate(shared)) throw new Error(`${name}: the shared-memory build does not validate`);
  return { plain: compile(text, true), shared };
}
