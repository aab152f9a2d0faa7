// Typed errors. The core reports failures as values ({code, reason, message},
// `code` being the MQTT 5 reason byte); this file turns them into TpgateError
// subclasses with a stable `code` string that callers can switch on.

export class TpgateError extends Error {
  /**
   * @param {string} code stable ERR_* code
   * @param {string} message
   * @param {{reasonCode?: number, option?: string, cause?: unknown}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = new.target.name;
    this.code = code;
    if (extra.reasonCode !== undefined) this.reasonCode = extra.reasonCode;
    if (extra.option !== undefined) this.option = extra.option;
  }
}

export class InvalidOptionError extends TpgateError {
  /** @param {string} option the option at fault, @param {string} message says what is allowed */
  constructor(option, message, extra = {}) {
    super('ERR_INVALID_OPTION', message, { ...extra, option });
  }
}

/**
 * A scenario (createEmulator(), `tpgate emulate`) that does not fit the
 * scenario format (docs/scenario.md). `path` is the JSON path at fault
 * ('$.gateway.telemetry.t.type', '$' for the whole text), `expected` the shape
 * that was wanted there.
 */
export class ScenarioError extends TpgateError {
  /** @param {string} message @param {string} path @param {string} expected */
  constructor(message, path, expected, extra = {}) {
    super('ERR_INVALID_SCENARIO', message, extra);
    this.path = path;
    this.expected = expected;
  }
}

/**
 * A data script (docs/thingspanel.md#data-scripts) that did not compile or failed
 * to run. `kind`: 'syntax' | 'runtime' | 'no-function' | 'bad-result' |
 * 'budget' | 'memory'; `line`: the script's line Lua named (0: none);
 * `luaMessage`: Lua's own text. Beside a platform client, `scriptType`
 * ('telemetry_up', ...), `configuration` and, for an upload, `gateway` and `topic`.
 */
export class ScriptError extends TpgateError {
  /** @param {string} message @param {{kind: string, line?: number, luaMessage?: string}} info */
  constructor(message, info, extra = {}) {
    super('ERR_SCRIPT', message, extra);
    this.kind = info.kind;
    this.line = info.line ?? 0;
    this.luaMessage = info.luaMessage ?? message;
  }
}

/**
 * A session store (the `store` option of connect()) that cannot be used:
 * `code` is ERR_STORE_CORRUPT (damaged before its last entry),
 * ERR_STORE_VERSION (written by a newer tpgate), ERR_STORE_MISMATCH (the
 * session of another client id, server or protocol version), ERR_STORE_LOCKED
 * (in use by another client), ERR_STORE_READ or ERR_STORE_WRITE (the medium
 * failed: a full disk, a quota).
 */
export class StoreError extends TpgateError {}

export class ConnectionRefusedError extends TpgateError {
  constructor(message, reasonCode, extra = {}) {
    super('ERR_CONNECTION_REFUSED', message, { ...extra, reasonCode });
  }
}

export class ClientClosedError extends TpgateError {
  constructor(message = 'the client was ended before the operation completed', extra = {}) {
    super('ERR_CLIENT_CLOSED', message, extra);
  }
}

export class ProtocolError extends TpgateError {
  constructor(message, reasonCode, extra = {}) {
    super('ERR_PROTOCOL', message, { ...extra, reasonCode });
  }
}

// Reason codes (MQTT 5, 2.4) the mapping below looks at.
const TOPIC_FILTER_INVALID = 0x8f;
const TOPIC_NAME_INVALID = 0x90;
const KEEP_ALIVE_TIMEOUT = 0x8d;
const PACKET_TOO_LARGE = 0x95;
const QUOTA_EXCEEDED = 0x97;
const NOT_SUPPORTED = new Set([0x9a, 0x9b, 0x9e, 0xa1, 0xa2]);
// The peer broke the protocol: Malformed Packet, Protocol Error, Packet
// Identifier Not Found, Receive Maximum exceeded, Topic Alias Invalid.
const PROTOCOL = new Set([0x81, 0x82, 0x92, 0x93, 0x94]);

function hex(code) {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/** "Malformed Packet (0x81): message" */
export function describe(info) {
  return `${info.reason} (${hex(info.code)}): ${info.message}`;
}

/**
 * The option an argument error names: its `path` ("publish.properties.contentType",
 * "options.will.topic") without the first segment (the call, or "options").
 * @param {{path?: string}} info
 * @param {string} fallback when the path names no option
 */
export function optionOf(info, fallback) {
  const path = info.path ?? '';
  const dot = path.indexOf('.');
  return dot < 0 ? fallback : path.slice(dot + 1);
}

/**
 * The error for a failed call (publish/subscribe/unsubscribe returned ok: false)
 * or an operationFailed event.
 * @param {{code: number, reason: string, message: string}} info
 * @param {string} fallbackOption the option to name for argument errors
 */
export function operationError(info, fallbackOption) {
  const code = info.code;
  if (code === TOPIC_NAME_INVALID) {
    return new InvalidOptionError('topic', `invalid topic: ${info.message}`, { reasonCode: code });
  }
  if (code === TOPIC_FILTER_INVALID) {
    return new InvalidOptionError('filter', `invalid topic filter: ${info.message}`, { reasonCode: code });
  }
  if (code === PACKET_TOO_LARGE) {
    return new TpgateError('ERR_PACKET_TOO_LARGE', describe(info), { reasonCode: code });
  }
  if (code === QUOTA_EXCEEDED) {
    return new TpgateError('ERR_QUEUE_FULL', `${describe(info)} (raise the maxQueued option or wait for completions)`, {
      reasonCode: code,
    });
  }
  if (NOT_SUPPORTED.has(code)) return new TpgateError('ERR_NOT_SUPPORTED', describe(info), { reasonCode: code });
  if (info.kind === 'argument') {
    // An argument the bindings could not convert (a property of the wrong type, ...).
    return new InvalidOptionError(optionOf(info, fallbackOption), info.message);
  }
  return new TpgateError('ERR_TRANSPORT', describe(info), { reasonCode: code });
}

/**
 * The error of a lost connection (a `disconnected` event).
 * @param {{error: {code: number, reason: string, message: string}, byServer: boolean}} event
 */
export function disconnectError(event) {
  const info = event.error;
  const code = info.code;
  if (event.byServer) {
    return new TpgateError('ERR_SERVER_DISCONNECT', `the server closed the connection: ${describe(info)}`, {
      reasonCode: code,
    });
  }
  if (code === KEEP_ALIVE_TIMEOUT) return new TpgateError('ERR_KEEPALIVE_TIMEOUT', info.message, { reasonCode: code });
  if (PROTOCOL.has(code) || code === PACKET_TOO_LARGE) return new ProtocolError(describe(info), code);
  return new TpgateError('ERR_TRANSPORT', info.message, { reasonCode: code });
}
