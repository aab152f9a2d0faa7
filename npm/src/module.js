// Loads the tpgate WebAssembly module once per JS realm and hands out the same
// instance to every caller: one module holds any number of sessions.
//
// Environment-neutral. How the .wasm bytes are fetched and compiled differs
// between Node and browsers; each entry point (index-node.js,
// index-browser.js, chosen by the package "exports" conditions) passes its own
// `instantiate` function to createModuleLoader().
import createTpgateModule from '../dist/tpgate.mjs';

/**
 * @param {(imports: WebAssembly.Imports, options: object) =>
 *   Promise<{instance: WebAssembly.Instance, module: WebAssembly.Module}>} instantiate
 */
export function createModuleLoader(instantiate) {
  let cached = null;
  return function loadTpgate(options = {}) {
    if (cached === null) {
      cached = instantiateModule(instantiate, options);
      // A failed load (a wrong URL, a network error) may be retried.
      cached.catch(() => {
        cached = null;
      });
    }
    return cached;
  };
}

function instantiateModule(instantiate, options) {
  return new Promise((resolve, reject) => {
    createTpgateModule({
      // Emscripten calls this instead of fetching the .wasm itself (its own
      // fetch of a file path fails in Node). Returning {} says "asynchronous".
      instantiateWasm(imports, receiveInstance) {
        instantiate(imports, options).then(
          ({ instance, module }) => receiveInstance(instance, module),
          reject,
        );
        return {};
      },
      onAbort: (what) => reject(new Error(`tpgate: wasm module aborted: ${what}`)),
    }).then(resolve, reject);
  });
}
