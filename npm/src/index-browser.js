// Entry point under the "browser" and "default" export conditions: the
// browser's WebSocket only (browsers have no raw TCP). No Node globals.
import { createConnect } from './client.js';
import { createConnectGateway } from './gateway.js';
import { createModuleLoader } from './module.js';
import { createConnectPlatform } from './platform.js';
import { createCreateEmulator, createParseScenario } from './emulator/index.js';
import { wsTransport } from './emulator/transport-ws-browser.js';
import { openWebSocket } from './transports/ws-browser.js';
import { createInstantiate } from './wasm-browser.js';
import createTpgateModule from '../dist/tpgate.mjs';

// The MQTT-only module, for connect(); the gateway module (MQTT plus the
// ThingsPanel roles) is loaded only by connectGateway() / connectPlatform(),
// its glue too: a dynamic import, which bundlers split into its own chunk.
export const loadTpgate = createModuleLoader(async () => createTpgateModule, createInstantiate('tpgate.wasm'));
export const loadTpgateGateway = createModuleLoader(
  async () => (await import('../dist/tpgate-gateway.mjs')).default,
  createInstantiate('tpgate-gateway.wasm'),
);

const supported = ['ws'];
const openTransport = (target, options, sink) =>
  openWebSocket(target.url, options, sink);

export const connect = createConnect(loadTpgate, supported, openTransport);

// Their MQTT client runs on the gateway module too, so a gateway app loads
// one module, not two.
const connectOnGatewayModule = createConnect(loadTpgateGateway, supported, openTransport);

export const connectGateway = createConnectGateway(loadTpgateGateway, connectOnGatewayModule);
export const connectPlatform = createConnectPlatform(connectOnGatewayModule, loadTpgateGateway);
export { PlatformClient } from './platform.js';

// Plain JS, no module: which topics an MQTT filter matches (as messages() does).
export { topicMatcher } from './topic-filter.js';

// The emulator module (MQTT, the ThingsPanel gateway role and the virtual
// gateway model), loaded only by createEmulator() / parseScenario(). Works in
// a page and in a (module) Web Worker: WebSocket transport only.
export const loadTpgateEmulator = createModuleLoader(
  async () => (await import('../dist/tpgate-emulator.mjs')).default,
  createInstantiate('tpgate-emulator.wasm'),
);
export const createEmulator = createCreateEmulator(loadTpgateEmulator, { ws: wsTransport }, (fn) => queueMicrotask(fn));
export const parseScenario = createParseScenario(loadTpgateEmulator);
export { Emulator } from './emulator/index.js';

export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, TpgateError } from './errors.js';
