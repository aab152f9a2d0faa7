// `tpgate/platform` in Node: the ThingsPanel platform client (the
// platform side: reports in, requests out), on the platform module (MQTT
// plus the platform role, its receive path built for speed).
import createPlatformModule from '../dist/tpgate-platform.mjs';
import { node } from './env-node.js';
import { createConnectPlatform } from './platform.js';
import { roleEntry } from './role-entry.js';
import { createCompileScript } from './scripts.js';

const entry = /* @__PURE__ */ roleEntry(node, createPlatformModule, /* @__PURE__ */ node.instantiate('tpgate-platform.wasm'), createConnectPlatform);
export const loadTpgatePlatform = entry.load;
export const connectPlatform = entry.connectRole;
export const compileScript = /* @__PURE__ */ createCompileScript(entry.load);
export { DataScript, SCRIPT_TYPES, scriptInput } from './scripts.js';
export { PlatformClient } from './platform.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
export { fileStore } from './store-node.js';
export { memoryStore } from './store-memory.js';
export { indexedDbStore } from './store-browser.js';
