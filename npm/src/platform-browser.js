// `tpgate/platform` in browsers and bundlers: the ThingsPanel platform client (the
// platform side: reports in, requests out), on the platform module (MQTT
// plus the platform role, its receive path built for speed).
import createPlatformModule from '../dist/tpgate-platform.mjs';
import wasm from '../dist/tpgate-platform.wasm.js';
import { browser } from './env-browser.js';
import { createConnectPlatform } from './platform.js';
import { roleEntry } from './role-entry.js';

const entry = /* @__PURE__ */ roleEntry(browser, createPlatformModule, /* @__PURE__ */ browser.instantiate('tpgate-platform.wasm', wasm), createConnectPlatform);
export const loadTpgatePlatform = entry.load;
export const connectPlatform = entry.connectRole;
export { PlatformClient } from './platform.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, TpgateError } from './errors.js';
