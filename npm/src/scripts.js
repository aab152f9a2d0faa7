// Data scripts from JS (docs/thingspanel.md#data-scripts): compile a ThingsPanel
// Lua script once on the platform module (bindings/script_bindings.cpp) and run
// its encodeInp(msg, topic) as the platform does. `tpgate script run` and the
// dashboard's script panel use it; the platform client runs a configuration's
// scripts inside the role itself.
import { InvalidOptionError, ScriptError } from './errors.js';

export const SCRIPT_TYPES = ['telemetry_up', 'telemetry_down', 'attributes_up', 'attributes_down', 'command_down', 'event_up'];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A script's input as the platform's test endpoint reads it: text starting
 * with "0x" is hex ("0x01ff" -> bytes 01 ff), other text is its UTF-8 bytes;
 * bytes pass as they are.
 * @param {string | Uint8Array} input
 * @returns {Uint8Array}
 */
export function scriptInput(input) {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string') throw new InvalidOptionError('input', 'a script input is a string or a Uint8Array');
  if (!/^0x/i.test(input)) return encoder.encode(input);
  const hex = input.slice(2).replace(/\s+/g, '');
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) {
    throw new InvalidOptionError('input', 'input starting with 0x must be hex digits, two per byte (0x01ff)');
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The ScriptError for a failed compile or run ({kind, message, line} from the module). */
export function scriptError(info, extra = {}) {
  const where = extra.scriptType ? `${extra.scriptType} script${extra.configuration ? ` of configuration ${extra.configuration}` : ''}: ` : '';
  const err = new ScriptError(extra.message ?? `${where}${info.message}`, { kind: info.kind, line: info.line, luaMessage: info.luaMessage ?? info.message });
  for (const key of ['scriptType', 'configuration', 'gateway', 'topic']) if (extra[key] !== undefined) err[key] = extra[key];
  return err;
}

function limitsOf(options) {
  const limits = {};
  for (const key of ['instructions', 'memoryBytes']) {
    if (options[key] === undefined) continue;
    if (!Number.isInteger(options[key]) || options[key] < 1) {
      throw new InvalidOptionError(key, `${key} must be a positive integer, got ${JSON.stringify(options[key])}`);
    }
    limits[key] = options[key];
  }
  return limits;
}

/** A compiled script. run() as often as needed; close() frees it. */
export class DataScript {
  constructor(handle, name) {
    this._handle = handle;
    this.name = name;
  }

  /**
   * Runs encodeInp(msg, topic). Returns {output: Uint8Array, text: string};
   * throws ScriptError ('runtime', 'no-function', 'bad-result', 'budget', 'memory').
   * @param {string | Uint8Array} input text ("0x..." = hex) or bytes
   * @param {string} [topic]
   */
  run(input, topic = '') {
    if (this._handle === null) throw new InvalidOptionError('script', `script ${this.name} was closed`);
    const result = this._handle.run(scriptInput(input), String(topic));
    if (!result.ok) throw scriptError(result);
    return { output: result.output, text: decoder.decode(result.output) };
  }

  /** Bytes the script's Lua state holds. */
  memoryInUse() {
    return this._handle === null ? 0 : this._handle.memoryInUse();
  }

  close() {
    this._handle?.delete();
    this._handle = null;
  }
}

/**
 * @param {() => Promise<object>} load the platform module's loader
 * @returns {(source: string, options?: {name?: string, instructions?: number, memoryBytes?: number}) => Promise<DataScript>}
 */
export function createCompileScript(load) {
  return async function compileScript(source, options = {}) {
    if (typeof source !== 'string') throw new InvalidOptionError('source', 'a script source is a string of Lua');
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'options must be an object');
    const name = options.name ?? 'script';
    if (typeof name !== 'string' || name === '') throw new InvalidOptionError('name', 'name must be a non-empty string');
    const limits = limitsOf(options);
    const tpgate = await load();
    const handle = new tpgate.LuaScript(source, name, limits);
    const error = handle.compileError();
    if (error !== null) {
      handle.delete();
      throw scriptError(error);
    }
    return new DataScript(handle, name);
  };
}
