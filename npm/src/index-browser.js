// `tpgate` in browsers and bundlers: the MQTT client. The ThingsPanel clients
// are `tpgate/gateway` and `tpgate/platform`, the emulator `tpgate/emulator`:
// an app that only speaks MQTT bundles none of them, nor their .wasm.
import createTpgateModule from '../dist/tpgate.mjs';
import { createConnect } from './client.js';
import { browser } from './env-browser.js';
import { createModuleLoader } from './module.js';
export { fileStore, indexedDbStore } from './store-browser.js';
export { memoryStore } from './store-memory.js';
// Last: bundlers keep module order, so the long base64 string of the .wasm
// ends the bundle and the JS before it stays in one piece for gzip's 32 KiB
// window (1.4 KB smaller gzipped than with the string between the glue and
// the client, measured on a connect-only app).
import wasm from '../dist/tpgate.wasm.js';

export const loadTpgate = /* @__PURE__ */ createModuleLoader(createTpgateModule, /* @__PURE__ */ browser.instantiate('tpgate.wasm', wasm));
export const connect = /* @__PURE__ */ createConnect(loadTpgate, browser.supported, browser.openTransport);
export { topicMatcher } from './topic-filter.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
