// Node: read the .wasm that ships beside the package's JS and compile it.
import { readFile } from 'node:fs/promises';

const defaultWasmUrl = new URL('../dist/tpgate.wasm', import.meta.url);

export async function instantiate(imports, { wasmBinary, locateFile } = {}) {
  const bytes = wasmBinary ?? (await readFile(locateFile ? locateFile('tpgate.wasm') : defaultWasmUrl));
  return WebAssembly.instantiate(bytes, imports);
}
