// Browsers (and bundlers): stream-compile the .wasm from its URL. The default
// URL sits beside this file, so bundlers that understand
// `new URL(..., import.meta.url)` copy the .wasm along.
const defaultWasmUrl = new URL('../dist/tpgate.wasm', import.meta.url);

export async function instantiate(imports, { wasmBinary, locateFile } = {}) {
  if (wasmBinary) return WebAssembly.instantiate(wasmBinary, imports);
  const url = locateFile ? locateFile('tpgate.wasm') : defaultWasmUrl;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`tpgate: cannot fetch ${url}: HTTP ${response.status}`);
  // instantiateStreaming needs the server to send Content-Type
  // application/wasm; many static servers do not, so fall back to bytes.
  if (response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.instantiateStreaming(response, imports);
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}
