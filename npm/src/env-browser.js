// What the browser entries (index-browser.js, gateway-browser.js,
// emulator-browser.js; the "browser" and "default" export conditions) share:
// the browser's WebSocket as the only transport (browsers have no raw TCP),
// and the .wasm bytes taken from the module that embeds them. No Node globals.
import { openWebSocket } from './transports/ws-browser.js';
import { createInstantiate } from './wasm-browser.js';

export const browser = {
  supported: ['ws'],
  openTransport: (target, options, sink) => openWebSocket(target.url, options, sink),
  instantiate: createInstantiate,
  // One drain per microtask checkpoint: every WebSocket message of one task
  // reaches the fleet before it.
  defer: (fn) => queueMicrotask(fn),
};
