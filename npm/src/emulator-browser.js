// `tpgate/emulator` in browsers and bundlers: virtual gateways over the
// browser's WebSocket, in a page or a (module) Web Worker, on the emulator
// module (MQTT, the ThingsPanel gateway role and the virtual gateway model).
import createEmulatorModule from '../dist/tpgate-emulator.mjs';
import { browser } from './env-browser.js';
import { createCreateEmulator, createParseScenario } from './emulator/index.js';
import { wsTransport } from './emulator/transport-ws-browser.js';
import { createModuleLoader } from './module.js';
// Last: bundlers keep module order, so the long base64 string of the .wasm
// ends the bundle and the JS before it stays in one piece for gzip's 32 KiB
// window (1.4 KB smaller gzipped than with the string between the glue and
// the client, measured on a connect-only app).
import wasm from '../dist/tpgate-emulator.wasm.js';

export const loadTpgateEmulator = /* @__PURE__ */ createModuleLoader(createEmulatorModule, /* @__PURE__ */ browser.instantiate('tpgate-emulator.wasm', wasm));
export const createEmulator = /* @__PURE__ */ createCreateEmulator(loadTpgateEmulator, { ws: wsTransport }, browser.defer);
export const parseScenario = /* @__PURE__ */ createParseScenario(loadTpgateEmulator);
export { Emulator } from './emulator/index.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
