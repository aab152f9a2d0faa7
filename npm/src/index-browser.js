// `tpgate` in browsers and bundlers: the MQTT client. The ThingsPanel clients
// are `tpgate/gateway`, the emulator `tpgate/emulator`: an app that only
// speaks MQTT bundles neither, nor their .wasm.
import createTpgateModule from '../dist/tpgate.mjs';
import wasm from '../dist/tpgate.wasm.js';
import { createConnect } from './client.js';
import { browser } from './env-browser.js';
import { createModuleLoader } from './module.js';

export const loadTpgate = /* @__PURE__ */ createModuleLoader(createTpgateModule, /* @__PURE__ */ browser.instantiate('tpgate.wasm', wasm));
export const connect = /* @__PURE__ */ createConnect(loadTpgate, browser.supported, browser.openTransport);
export { topicMatcher } from './topic-filter.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, TpgateError } from './errors.js';
