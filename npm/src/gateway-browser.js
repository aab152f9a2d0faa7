// `tpgate/gateway` in browsers and bundlers: the ThingsPanel gateway and
// platform clients, on the gateway module (MQTT plus the ThingsPanel roles).
import createGatewayModule from '../dist/tpgate-gateway.mjs';
import wasm from '../dist/tpgate-gateway.wasm.js';
import { browser } from './env-browser.js';
import { gatewayEntry } from './gateway-entry.js';

export const { loadTpgateGateway, connectGateway, connectPlatform } = /* @__PURE__ */ gatewayEntry(
  browser,
  createGatewayModule,
  /* @__PURE__ */ browser.instantiate('tpgate-gateway.wasm', wasm),
);
export { PlatformClient } from './platform.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, TpgateError } from './errors.js';
