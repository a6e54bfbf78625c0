// The workbench web app (Lit + Vite) builds from workbench/web into
// workbench/dist, which the workbench server serves. The app lands with the
// workbench issue; the config is here so the layout is fixed from the start.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'workbench/web',
  build: { outDir: '../dist', emptyOutDir: true },
  server: { host: '127.0.0.1' },
});
