// Browsers (and bundlers): compile the .wasm from the bytes its entry embeds
// (dist/NAME.wasm.js: the .wasm gzipped and base64-encoded, written by
// scripts/finish-wasm.mjs). Nothing to fetch, so every bundler handles it as
// plain JS with no configuration, and no bundle names a file of the package.
// Overrides: `wasmBinary` (the bytes) or `locateFile(name)` (a URL to fetch,
// for a CDN; the embedded bytes still ship in the bundle).

/**
 * @param {'tpgate.wasm' | 'tpgate-gateway.wasm' | 'tpgate-platform.wasm' | 'tpgate-emulator.wasm' | 'tpgate-codec.wasm'} fileName the .wasm's name
 *   in the package's dist folder; `locateFile` receives it.
 * @param {string} embedded the default export of dist/NAME.wasm.js
 */
export function createInstantiate(fileName, embedded) {
  return async function instantiate(imports, { wasmBinary, locateFile } = {}) {
    if (wasmBinary) return WebAssembly.instantiate(wasmBinary, imports);
    if (locateFile) return instantiateUrl(locateFile(fileName), imports);
    return WebAssembly.instantiate(await inflate(embedded), imports);
  };
}

async function instantiateUrl(url, imports) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`tpgate: cannot fetch ${url}: HTTP ${response.status}`);
  // instantiateStreaming needs the server to send Content-Type
  // application/wasm; many static servers do not, so fall back to bytes.
  if (response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.instantiateStreaming(response, imports);
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}

// base64 -> gzip bytes -> .wasm bytes, with the platform's own inflater
// (DecompressionStream: Chrome 80, Firefox 113, Safari 16.4, Node 18).
async function inflate(base64) {
  const text = atob(base64);
  const gzipped = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) gzipped[i] = text.charCodeAt(i);
  const stream = new Blob([gzipped]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}
