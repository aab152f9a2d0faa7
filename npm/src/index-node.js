// `tpgate` in Node: the MQTT client. The ThingsPanel clients are
// `tpgate/gateway` and `tpgate/platform`, the emulator `tpgate/emulator`, the
// dev broker `tpgate/broker`.
import createTpgateModule from '../dist/tpgate.mjs';
import { createConnect } from './client.js';
import { node } from './env-node.js';
import { createModuleLoader } from './module.js';

export const loadTpgate = /* @__PURE__ */ createModuleLoader(createTpgateModule, /* @__PURE__ */ node.instantiate('tpgate.wasm'));
export const connect = /* @__PURE__ */ createConnect(loadTpgate, node.supported, node.openTransport);
export { topicMatcher } from './topic-filter.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
export { fileStore } from './store-node.js';
export { memoryStore } from './store-memory.js';
export { indexedDbStore } from './store-browser.js';
