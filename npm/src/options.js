// Checks connect() options and call arguments up front, so a mistake is
// reported by name before anything is sent, and turns ClientOptions into the
// core's SessionOptions.
import { InvalidOptionError } from './errors.js';
import { closest } from './suggest.js';

const CLIENT_OPTIONS = [
  'clientId', 'username', 'password', 'protocolVersion', 'keepalive', 'clean', 'sessionExpiryInterval', 'will',
  'properties', 'reconnect', 'connectTimeout', 'maxQueued', 'topicAliases', 'resubscribe', 'wsProtocols', 'tls',
  'locateFile', 'wasmBinary', 'store',
];
const WILL_OPTIONS = ['topic', 'payload', 'qos', 'retain', 'properties'];
const RECONNECT_OPTIONS = ['minDelay', 'maxDelay'];
export const PUBLISH_OPTIONS = ['qos', 'retain', 'properties'];
export const SUBSCRIBE_OPTIONS = ['qos', 'noLocal', 'retainAsPublished', 'retainHandling', 'properties'];
export const UNSUBSCRIBE_OPTIONS = ['properties'];

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Throws InvalidOptionError for a non-object or an unknown key (with the closest known name). */
export function checkKeys(object, known, where) {
  if (object === undefined) return;
  const label = where || 'options';
  if (!isPlainObject(object)) throw new InvalidOptionError(label, `${label} must be an object`);
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const name = where ? `${where}.${key}` : key;
    const hint = closest(key, known);
    throw new InvalidOptionError(
      name,
      `unknown option '${name}'` +
        (hint ? `; did you mean '${where ? `${where}.${hint}` : hint}'?` : `; known: ${known.join(', ')}`),
    );
  }
}

export function checkQos(qos, option) {
  if (qos === undefined) return 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) {
    throw new InvalidOptionError(option, `${option} must be 0, 1 or 2 (got ${String(qos)})`);
  }
  return qos;
}

function checkBoolean(value, option) {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidOptionError(option, `${option} must be true or false (got ${typeof value})`);
  }
}

function checkInteger(value, option, min, max) {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(option, `${option} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
}

function checkString(value, option) {
  if (value !== undefined && typeof value !== 'string') {
    throw new InvalidOptionError(option, `${option} must be a string (got ${typeof value})`);
  }
}

function checkProperties(value, option) {
  if (value !== undefined && !isPlainObject(value)) {
    throw new InvalidOptionError(option, `${option} must be an object of MQTT 5 properties`);
  }
}

/**
 * Properties to send, checked, with `userProperties` in the pair form the core
 * takes. The MQTT.js shape, an object (`{ k: 'v', tags: ['a', 'b'] }`), is
 * accepted too: a string value is one pair, an array of strings repeats the
 * name once per element, in order. The pair form is the one that keeps the
 * order across names; received properties always use it.
 */
export function outgoingProperties(value, option) {
  checkProperties(value, option);
  const user = value?.userProperties;
  if (user === undefined || Array.isArray(user)) return value;
  const where = `${option}.userProperties`;
  if (!isPlainObject(user)) {
    throw new InvalidOptionError(
      where,
      `${where} must be an array of [name, value] string pairs or an object of name: string | string[] (got ${user === null ? 'null' : typeof user})`,
    );
  }
  const pairs = [];
  for (const [name, v] of Object.entries(user)) {
    if (typeof v === 'string') {
      pairs.push([name, v]);
    } else if (Array.isArray(v) && v.every((item) => typeof item === 'string')) {
      for (const item of v) pairs.push([name, item]);
    } else {
      throw new InvalidOptionError(
        where,
        `${where}['${name}'] must be a string or an array of strings (got ${v === null ? 'null' : Array.isArray(v) ? 'an array with a non-string' : typeof v})`,
      );
    }
  }
  return { ...value, userProperties: pairs };
}

export function checkPayload(payload, option) {
  if (typeof payload === 'string' || payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  throw new InvalidOptionError(
    option,
    `${option} must be a string or a Uint8Array (got ${payload === null ? 'null' : typeof payload})`,
  );
}

// Wildcards and NUL are never allowed in a topic name [MQTT-3.3.2-2] [MQTT-4.7.3-2];
// used for the will, which the core would only refuse at CONNECT time.
function checkTopicName(topic, option) {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new InvalidOptionError(option, `${option} must be a non-empty string`);
  }
  if (/[+#\u0000]/.test(topic)) {
    throw new InvalidOptionError(option, `${option} '${topic}' must not contain the wildcards + or #, or NUL`);
  }
}

const SCHEMES = {
  'ws:': 'ws',
  'wss:': 'ws',
  'mqtt:': 'tcp',
  'tcp:': 'tcp',
  'mqtts:': 'tls',
  'tls:': 'tls',
  'ssl:': 'tls',
};

/**
 * @param {string | URL} url
 * @param {string[]} supported transport kinds this entry point has ('ws', 'tcp', 'tls')
 * @returns {{url: URL, kind: string}}
 */
export function parseUrl(url, supported) {
  let parsed;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new InvalidOptionError('url', `url '${String(url)}' is not a valid URL (expected e.g. ws://host:8083/mqtt)`);
  }
  const kind = SCHEMES[parsed.protocol];
  const allowed = Object.keys(SCHEMES)
    .filter((s) => supported.includes(SCHEMES[s]))
    .map((s) => `${s}//`);
  if (!kind || !supported.includes(kind)) {
    throw new InvalidOptionError(
      'url',
      `url scheme '${parsed.protocol}' is not supported here; use one of ${allowed.join(', ')}`,
    );
  }
  return { url: parsed, kind };
}

function randomClientId() {
  let id = 'tpgate_';
  for (let i = 0; i < 8; i++) id += Math.floor(Math.random() * 16).toString(16);
  return id;
}

/**
 * Validates ClientOptions and returns {session, client}: the SessionOptions for
 * the wasm ClientSession and what the JS side keeps.
 */
export function normalizeClientOptions(options) {
  if (options === undefined || options === null) options = {};
  checkKeys(options, CLIENT_OPTIONS, '');
  const o = options;
  checkString(o.clientId, 'clientId');
  checkString(o.username, 'username');
  if (o.password !== undefined && typeof o.password !== 'string' && !(o.password instanceof Uint8Array)) {
    throw new InvalidOptionError('password', 'password must be a string or a Uint8Array');
  }
  const version = o.protocolVersion ?? 5;
  if (version !== 4 && version !== 5) {
    throw new InvalidOptionError(
      'protocolVersion',
      `protocolVersion must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0) (got ${String(version)})`,
    );
  }
  checkInteger(o.keepalive, 'keepalive', 0, 65535);
  checkBoolean(o.clean, 'clean');
  if (version === 4 && o.clientId === '' && o.clean === false) {
    // [MQTT-3.1.3-7]; MQTT 5 allows it: the server assigns an identifier.
    throw new InvalidOptionError(
      'clientId',
      "clientId '' needs clean: true with protocolVersion 4 (MQTT 3.1.1 [MQTT-3.1.3-7]): give a clientId to keep a session, or use protocolVersion 5 (the server assigns one)",
    );
  }
  checkInteger(o.sessionExpiryInterval, 'sessionExpiryInterval', 0, 0xffffffff);
  const connectProperties = outgoingProperties(o.properties, 'properties');
  checkInteger(o.connectTimeout, 'connectTimeout', 0, 0xffffffff);
  checkInteger(o.maxQueued, 'maxQueued', 0, Number.MAX_SAFE_INTEGER);
  checkBoolean(o.topicAliases, 'topicAliases');
  checkBoolean(o.resubscribe, 'resubscribe');
  if (o.wsProtocols !== undefined && (!Array.isArray(o.wsProtocols) || o.wsProtocols.some((p) => typeof p !== 'string'))) {
    throw new InvalidOptionError('wsProtocols', 'wsProtocols must be an array of strings, e.g. ["mqtt"]');
  }
  if (o.tls !== undefined && !isPlainObject(o.tls)) throw new InvalidOptionError('tls', 'tls must be an object');
  if (version === 4 && (o.sessionExpiryInterval !== undefined || o.properties !== undefined)) {
    const name = o.properties !== undefined ? 'properties' : 'sessionExpiryInterval';
    throw new InvalidOptionError(name, `${name} needs protocolVersion 5 (MQTT 3.1.1 has no properties)`);
  }

  let will;
  if (o.will !== undefined) {
    checkKeys(o.will, WILL_OPTIONS, 'will');
    checkTopicName(o.will.topic, 'will.topic');
    will = {
      topic: o.will.topic,
      payload: o.will.payload === undefined ? new Uint8Array(0) : checkPayload(o.will.payload, 'will.payload'),
      qos: checkQos(o.will.qos, 'will.qos'),
      retain: o.will.retain ?? false,
    };
    checkBoolean(o.will.retain, 'will.retain');
    const willProperties = outgoingProperties(o.will.properties, 'will.properties');
    if (willProperties !== undefined) will.properties = willProperties;
  }

  let reconnect = { enabled: true };
  if (o.reconnect === false) {
    reconnect = { enabled: false };
  } else if (o.reconnect !== undefined && o.reconnect !== true) {
    checkKeys(o.reconnect, RECONNECT_OPTIONS, 'reconnect');
    checkInteger(o.reconnect.minDelay, 'reconnect.minDelay', 0, 0xffffffff);
    checkInteger(o.reconnect.maxDelay, 'reconnect.maxDelay', 0, 0xffffffff);
    reconnect = { enabled: true, minDelay: o.reconnect.minDelay, maxDelay: o.reconnect.maxDelay };
    if ((reconnect.minDelay ?? 500) > (reconnect.maxDelay ?? 30000)) {
      throw new InvalidOptionError('reconnect.maxDelay', 'reconnect.maxDelay must not be below reconnect.minDelay');
    }
  }

  if (o.store !== undefined) {
    const s = o.store;
    if (s === null || typeof s !== 'object' || ['load', 'append', 'replace'].some((m) => typeof s[m] !== 'function')) {
      throw new InvalidOptionError(
        'store',
        'store must be a session store: fileStore(dir) (Node), indexedDbStore(name) (browsers), memoryStore(), or an object with load(), append(bytes), replace(bytes) and close()',
      );
    }
    if (o.clientId === undefined || o.clientId === '') {
      throw new InvalidOptionError('clientId', 'a store keeps the session of one client id: give connect() a fixed clientId');
    }
  }

  const clientId = o.clientId ?? randomClientId();
  let properties = connectProperties;
  if (o.sessionExpiryInterval !== undefined) {
    properties = { ...properties, sessionExpiryInterval: o.sessionExpiryInterval };
  }
  const session = {
    version,
    clientId,
    cleanStart: o.clean ?? true,
    keepAlive: o.keepalive ?? 60,
    reconnect,
    randomSeed: Math.floor(Math.random() * 0x7fffffff),
  };
  if (o.username !== undefined) session.username = o.username;
  if (o.password !== undefined) session.password = o.password;
  if (will) session.will = will;
  if (properties !== undefined) session.properties = properties;
  if (o.maxQueued !== undefined) session.maxQueued = o.maxQueued;
  if (o.connectTimeout !== undefined) session.connectTimeout = o.connectTimeout;
  if (o.topicAliases !== undefined) session.autoTopicAlias = o.topicAliases;
  if (o.resubscribe !== undefined) session.resubscribe = o.resubscribe;
  if (o.store !== undefined) session.journal = true;

  return {
    session,
    clientId,
    version,
    connectTimeout: o.connectTimeout ?? 30000,
    wsProtocols: o.wsProtocols ?? ['mqtt'],
    tls: o.tls,
    store: o.store,
    load: { locateFile: o.locateFile, wasmBinary: o.wasmBinary },
  };
}

/**
 * The subscriptions of subscribe(filter, options): `filter` is a string, an
 * array of strings (all with `options`), or {filter: SubscribeOptions}.
 */
export function subscriptionsFrom(filter, options) {
  checkKeys(options, SUBSCRIBE_OPTIONS, '');
  const subscriptions = [];
  const add = (f, opts, where) => {
    if (typeof f !== 'string') throw new InvalidOptionError('filter', `filter must be a string (got ${typeof f})`);
    if (opts !== options) checkKeys(opts, SUBSCRIBE_OPTIONS, where);
    const prefix = opts === options ? '' : `${where}.`;
    const sub = { filter: f, qos: checkQos(opts?.qos, `${prefix}qos`) };
    checkBoolean(opts?.noLocal, `${prefix}noLocal`);
    checkBoolean(opts?.retainAsPublished, `${prefix}retainAsPublished`);
    if (opts?.noLocal !== undefined) sub.noLocal = opts.noLocal;
    if (opts?.retainAsPublished !== undefined) sub.retainAsPublished = opts.retainAsPublished;
    if (opts?.retainHandling !== undefined) {
      if (![0, 1, 2].includes(opts.retainHandling)) {
        throw new InvalidOptionError(`${prefix}retainHandling`, `${prefix}retainHandling must be 0, 1 or 2`);
      }
      sub.retainHandling = opts.retainHandling;
    }
    subscriptions.push(sub);
  };
  if (typeof filter === 'string') {
    add(filter, options, '');
  } else if (Array.isArray(filter)) {
    for (const f of filter) add(f, options, '');
  } else if (typeof filter === 'object' && filter !== null) {
    // Per-filter options; `options` still carries the SUBSCRIBE properties.
    for (const [f, opts] of Object.entries(filter)) add(f, opts ?? {}, `filter['${f}']`);
  } else {
    throw new InvalidOptionError('filter', 'filter must be a string, an array of strings, or {filter: options}');
  }
  if (subscriptions.length === 0) throw new InvalidOptionError('filter', 'subscribe needs at least one filter');
  return subscriptions;
}
