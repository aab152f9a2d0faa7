// `tpgate/platform` in browsers and bundlers: the ThingsPanel platform client (the
// platform side: reports in, requests out), on the platform module (MQTT
// plus the platform role, its receive path built for speed).
import createPlatformModule from '../dist/tpgate-platform.mjs';
import { browser } from './env-browser.js';
import { createConnectPlatform } from './platform.js';
import { roleEntry } from './role-entry.js';
import { createCompileScript } from './scripts.js';
export { fileStore, indexedDbStore } from './store-browser.js';
export { memoryStore } from './store-memory.js';
// Last: bundlers keep module order, so the long base64 string of the .wasm
// ends the bundle and the JS before it stays in one piece for gzip's 32 KiB
// window (1.4 KB smaller gzipped than with the string between the glue and
// the client, measured on a connect-only app).
import wasm from '../dist/tpgate-platform.wasm.js';

const entry = /* @__PURE__ */ roleEntry(browser, createPlatformModule, /* @__PURE__ */ browser.instantiate('tpgate-platform.wasm', wasm), createConnectPlatform);
export const loadTpgatePlatform = entry.load;
export const connectPlatform = entry.connectRole;
export const compileScript = /* @__PURE__ */ createCompileScript(entry.load);
export { DataScript, SCRIPT_TYPES, scriptInput } from './scripts.js';
export { PlatformClient } from './platform.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
