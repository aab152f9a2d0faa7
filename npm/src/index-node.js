// Entry point under the "node" export condition: WebSocket through `ws`, and
// raw TCP / TLS for mqtt://, mqtts://, tcp://, tls://.
import { createConnect } from './client.js';
import { createConnectGateway } from './gateway.js';
import { createModuleLoader } from './module.js';
import { createConnectPlatform } from './platform.js';
import { createCreateEmulator, createParseScenario } from './emulator/index.js';
import { tcpTransport } from './emulator/transport-tcp-node.js';
import { wsTransport } from './emulator/transport-ws-node.js';
import { openTcp } from './transports/tcp-node.js';
import { openWebSocket } from './transports/ws-node.js';
import { createInstantiate } from './wasm-node.js';
import createTpgateModule from '../dist/tpgate.mjs';

// The MQTT-only module, for connect(); the gateway module (MQTT plus the
// ThingsPanel roles) is loaded only by connectGateway() / connectPlatform(),
// its glue too: a dynamic import, which bundlers split into its own chunk.
export const loadTpgate = createModuleLoader(async () => createTpgateModule, createInstantiate('tpgate.wasm'));
export const loadTpgateGateway = createModuleLoader(
  async () => (await import('../dist/tpgate-gateway.mjs')).default,
  createInstantiate('tpgate-gateway.wasm'),
);

const supported = ['ws', 'tcp', 'tls'];
const openTransport = (target, options, sink) =>
  target.kind === 'ws' ? openWebSocket(target.url, options, sink) : openTcp(target.url, target.kind, options, sink);

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
// gateway model), loaded only by createEmulator() / parseScenario().
export const loadTpgateEmulator = createModuleLoader(
  async () => (await import('../dist/tpgate-emulator.mjs')).default,
  createInstantiate('tpgate-emulator.wasm'),
);
// setImmediate: every socket read of one loop turn reaches the fleet before one drain.
export const createEmulator = createCreateEmulator(
  loadTpgateEmulator,
  { ws: wsTransport, tcp: tcpTransport, tls: tcpTransport },
  (fn) => setImmediate(fn),
);
export const parseScenario = createParseScenario(loadTpgateEmulator);
export { Emulator } from './emulator/index.js';

export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, TpgateError } from './errors.js';
