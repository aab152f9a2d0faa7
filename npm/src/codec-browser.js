// `tpgate/codec` in browsers and bundlers: the raw MQTT codec (encodePacket()
// and a streaming Decoder) on its own module, for tools and tests.
import createCodecModule from '../dist/tpgate-codec.mjs';
import { browser } from './env-browser.js';
import { createModuleLoader } from './module.js';
// Last, as in index-browser.js: the base64 string ends the bundle.
import wasm from '../dist/tpgate-codec.wasm.js';

export const loadTpgateCodec = /* @__PURE__ */ createModuleLoader(createCodecModule, /* @__PURE__ */ browser.instantiate('tpgate-codec.wasm', wasm));
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
