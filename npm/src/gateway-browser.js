// `tpgate/gateway` in browsers and bundlers: the ThingsPanel gateway client (device side),
// on the gateway module (MQTT plus the gateway role).
import createGatewayModule from '../dist/tpgate-gateway.mjs';
import { browser } from './env-browser.js';
import { createConnectGateway } from './gateway.js';
import { roleEntry } from './role-entry.js';
export { fileStore, indexedDbStore } from './store-browser.js';
export { memoryStore } from './store-memory.js';
// Last: bundlers keep module order, so the long base64 string of the .wasm
// ends the bundle and the JS before it stays in one piece for gzip's 32 KiB
// window (1.4 KB smaller gzipped than with the string between the glue and
// the client, measured on a connect-only app).
import wasm from '../dist/tpgate-gateway.wasm.js';

const entry = /* @__PURE__ */ roleEntry(browser, createGatewayModule, /* @__PURE__ */ browser.instantiate('tpgate-gateway.wasm', wasm), createConnectGateway);
export const loadTpgateGateway = entry.load;
export const connectGateway = entry.connectRole;
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
