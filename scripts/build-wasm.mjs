// `npm run build:wasm`: compiles our hand-written WebAssembly (src/core/kernels/*.wat) with wabt
// (a devDependency) into TypeScript modules holding the bytes, so that neither the build nor a
// user needs a wasm toolchain. test/core/kernels/adam.test.ts checks the committed bytes are current.
import fs from 'node:fs';
import path from 'node:path';
import { compileWat, WAT_MODULES } from './wat.mjs';

for (const { wat, out, exportName } of WAT_MODULES) {
  const bytes = await compileWat(fs.readFileSync(wat, 'utf8'), path.basename(wat));
  fs.writeFileSync(out, moduleSource(path.basename(wat), exportName, bytes));
  console.log(`${wat} -> ${out} (${bytes.length} bytes)`);
}

function moduleSource(source, exportName, bytes) {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = base64.match(/.{1,96}/g).map((line) => `  '${line}' +`);
  lines[lines.length - 1] = lines[lines.length - 1].slice(0, -2) + ';';
  return `// Generated from ${source} by \`npm run build:wasm\` (scripts/build-wasm.mjs); do not edit.\nexport const ${exportName} =\n${lines.join('\n')}\n`;
}
