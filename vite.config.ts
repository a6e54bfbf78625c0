// The workbench web app (Lit + Vite) builds from workbench/app into
// workbench/dist, which the workbench server serves (`mnemo serve`).
// Paths are absolute so that a build started from any folder (the server's
// ensureWebBuild() in workbench/build-web.ts) finds the app.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./workbench/app', import.meta.url)),
  base: './',
  build: { outDir: fileURLToPath(new URL('./workbench/dist', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: { host: '127.0.0.1' },
});
