// What `tpgate/gateway` and `tpgate/platform` export, made from an
// environment (env-browser.js or env-node.js), the entry's wasm module and
// its role's connect function: connectGateway() (the device side, on
// tpgate-gateway.wasm) or connectPlatform() (the platform side, on
// tpgate-platform.wasm). Their MQTT client runs on the same module, so an
// app of either side loads one module, not two.
import { createConnect } from './client.js';
import { createModuleLoader } from './module.js';

/**
 * @param {{ supported: string[], openTransport: Function }} env
 * @param {(moduleArg: object) => Promise<object>} createModule the module's Emscripten factory
 * @param {Function} instantiate from env.instantiate
 * @param {(load: Function, connect: Function) => Function} createConnectRole
 */
export function roleEntry(env, createModule, instantiate, createConnectRole) {
  const load = createModuleLoader(createModule, instantiate);
  const connect = createConnect(load, env.supported, env.openTransport);
  return { load, connectRole: createConnectRole(load, connect) };
}
