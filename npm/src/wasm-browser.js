// Browsers (and bundlers): stream-compile the .wasm from its URL. The default
// URLs sit beside this file and are written out literally, so bundlers that
// understand `new URL('...', import.meta.url)` copy both .wasm files along.
const defaultWasmUrls = {
  'tpgate.wasm': () => new URL('../dist/tpgate.wasm', import.meta.url),
  'tpgate-gateway.wasm': () => new URL('../dist/tpgate-gateway.wasm', import.meta.url),
  'tpgate-emulator.wasm': () => new URL('../dist/tpgate-emulator.wasm', import.meta.url),
};

/**
 * @param {'tpgate.wasm' | 'tpgate-gateway.wasm' | 'tpgate-emulator.wasm'} fileName the .wasm's name in
 *   the package's dist folder; `locateFile` receives it.
 */
export function createInstantiate(fileName) {
  const defaultWasmUrl = defaultWasmUrls[fileName];
  if (!defaultWasmUrl) throw new Error(`tpgate: no .wasm named '${fileName}' in the package`);
  return async function instantiate(imports, { wasmBinary, locateFile } = {}) {
    if (wasmBinary) return WebAssembly.instantiate(wasmBinary, imports);
    const url = locateFile ? locateFile(fileName) : defaultWasmUrl();
    const response = await fetch(url);
    if (!response.ok) throw new Error(`tpgate: cannot fetch ${url}: HTTP ${response.status}`);
    // instantiateStreaming needs the server to send Content-Type
    // application/wasm; many static servers do not, so fall back to bytes.
    if (response.headers.get('content-type')?.startsWith('application/wasm')) {
      return WebAssembly.instantiateStreaming(response, imports);
    }
    return WebAssembly.instantiate(await response.arrayBuffer(), imports);
  };
}
