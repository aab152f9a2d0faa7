// Node: read the .wasm that ships in the package's dist folder and compile it.
import { readFile } from 'node:fs/promises';

/**
 * @param {'tpgate.wasm' | 'tpgate-gateway.wasm' | 'tpgate-platform.wasm' | 'tpgate-emulator.wasm' | 'tpgate-codec.wasm'} fileName the .wasm's name
 *   in the package's dist folder; `locateFile` receives it.
 */
export function createInstantiate(fileName) {
  const defaultWasmUrl = new URL(`../dist/${fileName}`, import.meta.url);
  return async function instantiate(imports, { wasmBinary, locateFile } = {}) {
    const bytes = wasmBinary ?? (await readFile(locateFile ? locateFile(fileName) : defaultWasmUrl));
    return WebAssembly.instantiate(bytes, imports);
  };
}
