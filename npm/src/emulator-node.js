// `tpgate/emulator` in Node: virtual gateways over WebSocket, TCP or TLS, on
// the emulator module (MQTT, the ThingsPanel gateway role and the virtual
// gateway model).
import createEmulatorModule from '../dist/tpgate-emulator.mjs';
import { node } from './env-node.js';
import { createCreateEmulator, createParseScenario } from './emulator/index.js';
import { tcpTransport } from './emulator/transport-tcp-node.js';
import { wsTransport } from './emulator/transport-ws-node.js';
import { createModuleLoader } from './module.js';

export const loadTpgateEmulator = /* @__PURE__ */ createModuleLoader(createEmulatorModule, /* @__PURE__ */ node.instantiate('tpgate-emulator.wasm'));
export const createEmulator = /* @__PURE__ */ createCreateEmulator(
  loadTpgateEmulator,
  { ws: wsTransport, tcp: tcpTransport, tls: tcpTransport },
  node.defer,
);
export const parseScenario = /* @__PURE__ */ createParseScenario(loadTpgateEmulator);
export { Emulator } from './emulator/index.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
