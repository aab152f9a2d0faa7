// Entry point under the "browser" and "default" export conditions: the
// browser's WebSocket only (browsers have no raw TCP). No Node globals.
import { createConnect } from './client.js';
import { createConnectGateway } from './gateway.js';
import { createModuleLoader } from './module.js';
import { createConnectPlatform } from './platform.js';
import { openWebSocket } from './transports/ws-browser.js';
import { instantiate } from './wasm-browser.js';

export const loadTpgate = createModuleLoader(instantiate);

export const connect = createConnect(loadTpgate, ['ws'], (target, options, sink) =>
  openWebSocket(target.url, options, sink),
);

export const connectGateway = createConnectGateway(loadTpgate, connect);
export const connectPlatform = createConnectPlatform(connect, loadTpgate);
export { PlatformClient } from './platform.js';

export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, TpgateError } from './errors.js';
