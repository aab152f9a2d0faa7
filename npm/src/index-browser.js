// Entry point under the "browser" and "default" export conditions: the
// browser's WebSocket only (browsers have no raw TCP). No Node globals.
import { createConnect } from './client.js';
import { createModuleLoader } from './module.js';
import { openWebSocket } from './transports/ws-browser.js';
import { instantiate } from './wasm-browser.js';

export const loadTpgate = createModuleLoader(instantiate);

export const connect = createConnect(loadTpgate, ['ws'], (target, options, sink) =>
  openWebSocket(target.url, options, sink),
);

export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, TpgateError } from './errors.js';
