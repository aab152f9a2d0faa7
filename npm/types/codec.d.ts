// Types of 'tpgate/codec': the raw MQTT 3.1.1 / 5.0 codec (encodePacket() and a streaming Decoder), on
// its own small module, for tools and tests. Applications want connect() instead.
import type { Decoder, LoadOptions, Outcome, Packet, ProtocolVersion } from './index.js';
export type { Decoder, Packet } from './index.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, TpgateError } from './index.js';

export interface CodecModule {
  Decoder: new (options?: { version?: ProtocolVersion; role?: 'any' | 'client' | 'server'; maxPacketSize?: number }) => Decoder;
  encodePacket(packet: Packet, version: ProtocolVersion): Outcome<{ bytes: Uint8Array }>;
}

/**
 * Loads the codec module (tpgate-codec.wasm) once per JS realm; every call returns the same Promise.
 * `locateFile` receives 'tpgate-codec.wasm'.
 */
export function loadTpgateCodec(options?: LoadOptions): Promise<CodecModule>;
