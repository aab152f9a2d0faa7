// Entry point under the "node" export condition: WebSocket through `ws`, and
// raw TCP / TLS for mqtt://, mqtts://, tcp://, tls://.
import { createConnect } from './client.js';
import { createConnectGateway } from './gateway.js';
import { createModuleLoader } from './module.js';
import { createConnectPlatform } from './platform.js';
import { openTcp } from './transports/tcp-node.js';
import { openWebSocket } from './transports/ws-node.js';
import { instantiate } from './wasm-node.js';

export const loadTpgate = createModuleLoader(instantiate);

export const connect = createConnect(loadTpgate, ['ws', 'tcp', 'tls'], (target, options, sink) =>
  target.kind === 'ws' ? openWebSocket(target.url, options, sink) : openTcp(target.url, target.kind, options, sink),
);

export const connectGateway = createConnectGateway(loadTpgate, connect);
export const connectPlatform = createConnectPlatform(connect, loadTpgate);
export { PlatformClient } from './platform.js';

export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, TpgateError } from './errors.js';
