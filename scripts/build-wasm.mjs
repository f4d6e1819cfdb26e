// `npm run build:wasm`: compiles our hand-written WebAssembly (src/core/kernels/*.wat) with wabt
// (a devDependency) into TypeScript modules holding the bytes, so that neither the build nor a
// user needs a wasm toolchain. test/core/kernels.test.ts checks the committed bytes are current.
import fs from 'node:fs';
import path from 'node:path';
import { compileWat, WAT_MODULES } from './wat.mjs';

for (const { wat, out, exportName } of WAT_MODULES) {
  const { plain, shared } = await compileWat(fs.readFileSync(wat, 'utf8'), path.basename(wat));
  fs.writeFileSync(out, moduleSource(path.basename(wat), exportName, plain, shared));
  console.log(`${wat} -> ${out} (${plain.length} + ${shared.length} bytes)`);
}

function constant(name, bytes) {
  const lines = Buffer.from(bytes).toString('base64').match(/.{1,96}/g).map((line) => `  '${line}' +`);
  lines[lines.length - 1] = lines[lines.length - 1].slice(0, -2) + ';';
  return `export const ${name} =\n${lines.join('\n')}\n`;
}

function moduleSource(source, exportName, plain, shared) {
  return (
    `// Generated from ${source} by \`npm run build:wasm\` (scripts/build-wasm.mjs); do not edit.\n` +
    `/** For the plain memory of tfjs-backend-wasm's single-threaded build. */\n${constant(exportName, plain)}` +
    `/** For the shared memory of its multi-threaded build. */\n${constant(exportName.replace('_BASE64', '_SHARED_BASE64'), shared)}`
  );
}
