// Node: read the .wasm that ships beside the package's JS and compile it.
import { readFile } from 'node:fs/promises';

/**
 * @param {string} fileName the .wasm's name in the package's dist folder
 *   ('tpgate.wasm' or 'tpgate-gateway.wasm'); `locateFile` receives it.
 */
export function createInstantiate(fileName) {
  const defaultWasmUrl = new URL(`../dist/${fileName}`, import.meta.url);
  return async function instantiate(imports, { wasmBinary, locateFile } = {}) {
    const bytes = wasmBinary ?? (await readFile(locateFile ? locateFile(fileName) : defaultWasmUrl));
    return WebAssembly.instantiate(bytes, imports);
  };
}
