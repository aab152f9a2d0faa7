// What the Node entries (index-node.js, gateway-node.js, emulator-node.js;
// the "node" export condition) share: WebSocket through `ws`, raw TCP / TLS
// for mqtt://, mqtts://, tcp://, tls://, and the .wasm read from the
// package's dist folder.
import { openTcp } from './transports/tcp-node.js';
import { openWebSocket } from './transports/ws-node.js';
import { createInstantiate } from './wasm-node.js';

export const node = {
  supported: ['ws', 'tcp', 'tls'],
  openTransport: (target, options, sink) =>
    target.kind === 'ws' ? openWebSocket(target.url, options, sink) : openTcp(target.url, target.kind, options, sink),
  instantiate: createInstantiate,
  // setImmediate: every socket read of one loop turn reaches the fleet before one drain.
  defer: (fn) => setImmediate(fn),
};
