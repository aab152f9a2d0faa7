// Loads a tpgate WebAssembly module once per JS realm and hands out the same
// instance to every caller: one module holds any number of sessions.
//
// Three modules ship: tpgate (the MQTT client only), tpgate-gateway (the MQTT
// client plus the ThingsPanel gateway and platform roles) and tpgate-emulator
// (all that plus the virtual gateway fleet). Each has its own loader, made
// here from the module's Emscripten factory.
//
// Environment-neutral. How the .wasm bytes are found and compiled differs
// between Node and browsers; each entry point (index-, gateway-, emulator-
// node.js or -browser.js, chosen by the package "exports" conditions) passes
// its own `instantiate` function to createModuleLoader(). Each module belongs
// to one entry (`tpgate`, `tpgate/gateway`, `tpgate/emulator`), so an app
// bundles only the modules of the entries it imports.

/**
 * @param {(moduleArg: object) => Promise<object>} createModule the module's
 *   Emscripten factory (the default export of dist/tpgate.mjs,
 *   dist/tpgate-gateway.mjs or dist/tpgate-emulator.mjs).
 * @param {(imports: WebAssembly.Imports, options: object) =>
 *   Promise<{instance: WebAssembly.Instance, module: WebAssembly.Module}>} instantiate
 */
export function createModuleLoader(createModule, instantiate) {
  let cached = null;
  return function loadTpgate(options = {}) {
    if (cached === null) {
      cached = instantiateModule(createModule, instantiate, options);
      // A failed load (a wrong URL, a network error) may be retried.
      cached.catch(() => {
        cached = null;
      });
    }
    return cached;
  };
}

function instantiateModule(createModule, instantiate, options) {
  return new Promise((resolve, reject) => {
    createModule({
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
