// Builds the dashboard into web/dist: static files any web server can serve
// (relative URLs, so it works under any path prefix, e.g. `tpgate demo`).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';

// The Content-Security-Policy of the built page. Only the build gets it:
// the dev server injects inline scripts of its own.
//  - script-src 'self': no inline script, no eval; 'wasm-unsafe-eval' lets
//    WebAssembly compile (the wasm itself runs in the worker, whose policy
//    comes with its own response, but a browser without module workers
//    would need it in the page);
//  - connect-src ws: wss: http: https: 'self': the broker is any WebSocket URL the user types, the
//    device API (the dev broker's registered devices) any HTTP URL;
//  - style-src 'self': one stylesheet, no inline styles (element.style from
//    script is CSSOM and allowed);
//  - img-src 'self' data: (the empty favicon); object-src and base-uri none.
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' ws: wss: http: https:",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'tpgate-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
    },
  };
}

// The package's browser entry also names the emulator module (createEmulator),
// which the dashboard never loads. While that module is not built yet
// (npm/dist/tpgate-emulator.*), stand in a module that fails when used, so the
// dashboard still builds; say so in the build log.
function missingEmulatorModule(): Plugin {
  const stub = '\0tpgate-missing-emulator';
  return {
    name: 'tpgate-missing-emulator',
    resolveId(source, importer) {
      if (!importer || !/tpgate-emulator\.mjs$/.test(source)) return null;
      const file = path.resolve(path.dirname(importer), source);
      if (existsSync(file)) return null;
      this.warn(`${file} is not built: createEmulator() will fail in this build (the dashboard does not use it)`);
      return stub;
    },
    load(id) {
      return id === stub ? "export default () => { throw new Error('tpgate-emulator.mjs was not built'); };" : null;
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [contentSecurityPolicy(), missingEmulatorModule()],
  worker: { format: 'es', plugins: () => [missingEmulatorModule()] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline assets as data: URLs (the .wasm files must stay files).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
});
