// `tpgate/gateway` in Node: the ThingsPanel gateway client (device side),
// on the gateway module (MQTT plus the gateway role).
import createGatewayModule from '../dist/tpgate-gateway.mjs';
import { node } from './env-node.js';
import { createConnectGateway } from './gateway.js';
import { roleEntry } from './role-entry.js';

const entry = /* @__PURE__ */ roleEntry(node, createGatewayModule, /* @__PURE__ */ node.instantiate('tpgate-gateway.wasm'), createConnectGateway);
export const loadTpgateGateway = entry.load;
export const connectGateway = entry.connectRole;
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
export { fileStore } from './store-node.js';
export { memoryStore } from './store-memory.js';
export { indexedDbStore } from './store-browser.js';
