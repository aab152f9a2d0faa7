// `tpgate/gateway` in Node: the ThingsPanel gateway and platform clients, on
// the gateway module (MQTT plus the ThingsPanel roles).
import createGatewayModule from '../dist/tpgate-gateway.mjs';
import { node } from './env-node.js';
import { gatewayEntry } from './gateway-entry.js';

export const { loadTpgateGateway, connectGateway, connectPlatform } = /* @__PURE__ */ gatewayEntry(
  node,
  createGatewayModule,
  /* @__PURE__ */ node.instantiate('tpgate-gateway.wasm'),
);
export { PlatformClient } from './platform.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, TpgateError } from './errors.js';
