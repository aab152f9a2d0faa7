// `tpgate/codec` in Node: the raw MQTT codec (encodePacket() and a streaming
// Decoder) on its own module, for tools and tests.
import createCodecModule from '../dist/tpgate-codec.mjs';
import { node } from './env-node.js';
import { createModuleLoader } from './module.js';

export const loadTpgateCodec = /* @__PURE__ */ createModuleLoader(createCodecModule, /* @__PURE__ */ node.instantiate('tpgate-codec.wasm'));
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError } from './errors.js';
