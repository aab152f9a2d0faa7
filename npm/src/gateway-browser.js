// `tpgate/gateway` in browsers and bundlers: the ThingsPanel gateway client (device side),
// on the gateway module (MQTT plus the gateway role).
import createGatewayModule from '../dist/tpgate-gateway.mjs';
import wasm from '../dist/tpgate-gateway.wasm.js';
import { browser } from './env-browser.js';
import { createConnectGateway } from './gateway.js';
import { roleEntry } from './role-entry.js';

const entry = /* @__PURE__ */ roleEntry(browser, createGatewayModule, /* @__PURE__ */ browser.instantiate('tpgate-gateway.wasm', wasm), createConnectGateway);
export const loadTpgateGateway = entry.load;
export const connectGateway = entry.connectRole;
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, TpgateError } from './errors.js';
