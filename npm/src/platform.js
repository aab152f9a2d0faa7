// connectPlatform(): the ThingsPanel platform side (docs/thingspanel.md#roles) on top of the MQTT
// client. The protocol lives in the wasm PlatformRole (sans-I/O); this file is
// its host: it subscribes the role's filters (one SUBSCRIBE each), feeds every
// received message to the role, publishes what the role returns (acks,
// downlinks), keeps one timer at the role's next deadline, and turns the
// role's events into emitter events and settled promises (the timer and the
// waiting promises: role-host.js).
import { ClientClosedError, InvalidOptionError, ScriptError, TpgateError } from './errors.js';
import { createIdTables, readFrameAt, topicLength, writePublish } from './packed.js';
import { loadModule, RoleHost } from './role-host.js';
import { parseConfigurations } from './configurations.js';
import { SCRIPT_TYPES } from './scripts.js';
import { authOptionsError } from './thingspanel-auth.js';

const PLATFORM_OPTIONS = ['shareGroup', 'autoAck', 'ackTopics', 'requestTimeout', 'defaultGateway', 'maxRecentEvents', 'deviceNumbers',
  'configurations', 'scriptLimits'];

// The role's clock: wall-clock ms, as telemetry timestamps are.
const now = () => Date.now();

// A failed call of the role: an argument error names its option ("target",
// "options.ackTopics" -> "ackTopics"); anything else names `fallbackOption`.
function roleError(info, fallbackOption) {
  if (info.kind === 'script') return downloadScriptError(info);
  const path = info.kind === 'argument' ? info.path : '';
  const option = path.startsWith('options.') ? path.slice('options.'.length) : path || fallbackOption;
  return new InvalidOptionError(option, info.message);
}

// A download script failed (or a script did not compile): path is
// "CONFIGURATION.TYPE", the chunk name Lua puts before the line.
function downloadScriptError(info) {
  const dot = info.path.lastIndexOf('.');
  const configuration = info.path.slice(0, dot);
  const scriptType = info.path.slice(dot + 1);
  const marker = `${info.path}:`;
  const at = info.message.indexOf(marker);
  const line = at < 0 ? 0 : parseInt(info.message.slice(at + marker.length), 10) || 0;
  const kind = /does not compile/.test(info.message) ? 'syntax' : (/\((\w[\w-]*)\): /.exec(info.message)?.[1] ?? 'runtime');
  const err = new ScriptError(info.message, { kind, line, luaMessage: at < 0 ? info.message : info.message.slice(at) });
  err.configuration = configuration;
  err.scriptType = scriptType;
  return err;
}

function parseJson(text) {
  return text === null || text === undefined ? null : JSON.parse(text);
}

function jsonText(value, option) {
  let text;
  try {
    text = JSON.stringify(value === undefined ? {} : value);
  } catch (err) {
    throw new InvalidOptionError(option, `${option} cannot be written as JSON: ${err.message}`);
  }
  if (text === undefined) throw new InvalidOptionError(option, `${option} cannot be written as JSON`);
  return text;
}

// Collects the records of one frame (npm/src/packed.js reads it in place, so
// nothing may call into the module meanwhile), then acts on them in order.
class FrameSink {
  constructor(platform) {
    this.platform = platform;
    this.kinds = [];
    this.items = [];
    this.count = 0;
  }

  publication(topic, payload, qos, retain) {
    this.add(0, { topic, payload, qos, retain });
  }

  jsonEvent(e) {
    this.add(1, e);
  }

  telemetry(device, ts, values) {
    this.add(2, { gateway: device.gateway, target: device.target, values, ts });
  }

  add(kind, item) {
    this.kinds[this.count] = kind;
    this.items[this.count++] = item;
  }

  flush() {
    const n = this.count;
    if (n === 0) return;
    const { kinds, items, platform } = this;
    // A listener may make another frame be read (and flushed) meanwhile: it
    // collects into arrays of its own.
    this.kinds = [];
    this.items = [];
    this.count = 0;
    for (let i = 0; i < n; i++) {
      const item = items[i];
      items[i] = undefined;
      if (kinds[i] === 2) platform.emit('telemetry', item);
      else if (kinds[i] === 0) platform._publish(item.topic, item.payload, item.qos, item.retain);
      // Attributes, event, status, warning: emitted as they come.
      else if (item.event !== undefined) platform.emit(item.type, item.event);
      else platform._event(item);
    }
    if (this.count === 0) {
      this.kinds = kinds;
      this.items = items;
    }
  }
}

export class PlatformClient extends RoleHost {
  /**
   * @param client  the MQTT client ('message' events, publish(), end())
   * @param role    a wasm PlatformRole, owned (deleted by end())
   * @param tpgate  the module the role lives in: its scratch area and heap
   *                carry each message in and the role's frames out
   */
  constructor(client, role, tpgate) {
    super(client, role, tpgate);
    this._tables = createIdTables();
    this._address = role.address(); // for the plain export of receiveScratch()
    this._sink = new FrameSink(this);
    this._sent = 0; // requests made, to notice one made inside a listener
    this._onMessage = (topic, payload) => this._receive(topic, payload);
    client.on('message', this._onMessage);
  }

  // The hot path: topic and payload into the wasm heap, one call, and the
  // frame of what it caused read back (bindings/session_packed.hpp).
  _receive(topic, payload) {
    if (this._role === null) return;
    const length = writePublish(this._tpgate, topic, payload);
    this._apply(this._tpgate._tpgate_platform_receive(this._address, topicLength, length, 0, now()));
  }

  _deadline() {
    if (this._role === null) return;
    this._apply(this._role.tick(now()));
  }

  // The frame at address `at`: publications, events and telemetry in order.
  _apply(at) {
    const deadline = readFrameAt(this._tpgate, at, this._sink, this._tables);
    const sent = this._sent;
    this._sink.flush();
    // A listener that sent a request moved the deadline the role gave us.
    if (this._sent === sent) this._arm(deadline < 0 ? null : deadline);
    else this._schedule();
  }

  _publish(topic, payload, qos, retain) {
    this.client.publish(topic, payload, { qos, retain }).catch((err) => {
      if (!this._ended) this.emit('error', err);
    });
  }

  // Events that settle requests or report errors (the others carry `event`).
  _event(e) {
    switch (e.type) {
      case 'requestCompleted':
        this._complete(e);
        break;
      case 'requestTimedOut': {
        const op = this._settle(e.token);
        if (op) op.reject(new TpgateError('ERR_TIMEOUT', e.message));
        break;
      }
      case 'scriptFailed': {
        // docs/thingspanel.md#data-scripts: the message is dropped.
        const err = new ScriptError(e.message, { kind: e.kind, line: e.line, luaMessage: e.luaMessage });
        err.topic = e.topic;
        err.gateway = e.gateway;
        err.configuration = e.configuration;
        err.scriptType = e.scriptType;
        this.emit('error', err);
        break;
      }
      case 'protocolError': {
        // The message names the topic already.
        const err = new TpgateError('ERR_BAD_MESSAGE', e.error.message, { reasonCode: e.error.code });
        err.topic = e.topic;
        err.gateway = e.gateway;
        // Where in the payload, for data that could not be used ("gateway_data.t").
        if (e.error.kind === 'payload') err.path = e.error.path;
        this.emit('error', err);
        break;
      }
      default:
        break;
    }
  }

  _complete(e) {
    const op = this._settle(e.token);
    if (!op) return;
    const response = {
      result: e.result, errcode: e.errcode, message: e.message, ts: e.ts, method: e.method ?? undefined,
    };
    if (e.success) {
      const value = { result: 0, response, rttMs: e.rttMs };
      if (e.report !== null) value.report = e.report;
      op.resolve(value);
      return;
    }
    const why = e.problem ? e.problem : `result ${e.result}${e.errcode ? `, errcode ${e.errcode}` : ''}: ${e.message}`;
    const err = new TpgateError('ERR_REQUEST_FAILED', `${op.kind} failed: ${why}`);
    err.errcode = e.errcode;
    err.response = response;
    err.rttMs = e.rttMs;
    op.reject(err);
  }

  _schedule() {
    if (this._role === null) return;
    this._arm(this._role.nextDeadline());
  }

  _request(kind, sent, option) {
    if (!sent.ok) return Promise.reject(roleError(sent, option));
    this._sent++;
    const answered = this._wait(sent.token, { kind });
    this._schedule();
    this.client.publish(sent.publication.topic, sent.publication.payload, {
      qos: sent.publication.qos, retain: sent.publication.retain,
    }).catch((err) => {
      this._settle(sent.token)?.reject(err);
    });
    return answered;
  }

  _closed(what) {
    return this._ended ? Promise.reject(new ClientClosedError(`${what}() after end()`)) : null;
  }

  /**
   * Sends a command to `target` behind gateway `dn`; resolves on a success
   * response ({result: 0, response, rttMs}), rejects ERR_REQUEST_FAILED on a
   * failure response and ERR_TIMEOUT when nobody answers in requestTimeout.
   */
  sendCommand(dn, target, method, params = {}) {
    return this._closed('sendCommand') ?? this._call(() =>
      this._role.sendCommand(dn, target, method, jsonText(params, 'params'), now()), 'command', 'method');
  }

  sendAttributeSet(dn, target, values) {
    return this._closed('sendAttributeSet') ?? this._call(() =>
      this._role.sendAttributeSet(dn, target, jsonText(values, 'values'), now()), 'attribute set', 'values');
  }

  /** Resolves with {result: 0, response, report, rttMs} when the gateway's attribute report answers. */
  sendAttributeGet(dn, target, keys = [], options = {}) {
    return this._closed('sendAttributeGet') ?? this._call(() =>
      this._role.sendAttributeGet(dn, target, keys, options?.shape, now()), 'attribute get', 'keys');
  }

  /** Control has no answer: resolves once the broker accepted the publish. */
  async sendControl(dn, target, values) {
    const closed = this._closed('sendControl');
    if (closed) return closed;
    const sent = this._role.sendControl(dn, target, jsonText(values, 'values'), now());
    if (!sent.ok) throw roleError(sent, 'values');
    await this.client.publish(sent.publication.topic, sent.publication.payload, {
      qos: sent.publication.qos, retain: sent.publication.retain,
    });
  }

  _call(send, kind, option) {
    let sent;
    try {
      sent = send();
    } catch (err) {
      return Promise.reject(err);
    }
    return this._request(kind, sent, option);
  }

  /** The platform's view of one device: {telemetry, attributes, events} or null. */
  device(gateway, target = []) {
    if (this._role === null) return null;
    const out = this._role.device(gateway, target);
    if (out !== null && typeof out === 'object') throw roleError(out, 'target');
    return parseJson(out);
  }

  /** The broker's last devices/status word for `deviceId`: true, false, or null. */
  online(deviceId) {
    return this._role === null ? null : this._role.online(deviceId);
  }

  /** The backend's device_id -> device_number lookup, for ack topics of enveloped reports. */
  mapDevice(deviceId, deviceNumber) {
    this._role?.mapDevice(deviceId, deviceNumber);
  }

  /**
   * Sets (compiles) or, with `source` null, removes `configuration`'s data
   * script of `type` ('telemetry_up', 'telemetry_down', 'attributes_up',
   * 'attributes_down', 'command_down', 'event_up'). Throws ScriptError when it
   * does not compile (the previous script stays).
   */
  setScript(configuration, type, source, limits = this._scriptLimits) {
    if (this._role === null) throw new ClientClosedError('setScript() after end()');
    setRoleScript(this._role, configuration, type, source, limits);
  }

  /** `device` (device_id or device_number) uses `configuration`'s scripts; null: none. */
  assignConfiguration(device, configuration) {
    if (this._role === null) throw new ClientClosedError('assignConfiguration() after end()');
    if (typeof device !== 'string' || device === '') throw new InvalidOptionError('device', 'device must be a non-empty string');
    this._role.assignConfiguration(device, configuration ?? '');
  }

  /** Ends the MQTT client; pending requests reject with ERR_CLIENT_CLOSED. */
  async end(force = false) {
    if (!this._ended) {
      this.client.off('message', this._onMessage);
      this._endHost((op) => new ClientClosedError(`${op.kind} did not complete: the platform client was ended`));
    }
    await this.client.end(force);
  }
}

function setRoleScript(role, configuration, type, source, limits) {
  if (typeof configuration !== 'string' || configuration === '') {
    throw new InvalidOptionError('configuration', 'configuration must be a non-empty string (its id)');
  }
  if (!SCRIPT_TYPES.includes(type)) {
    throw new InvalidOptionError('type', `unknown script type ${JSON.stringify(type)}; expected one of ${SCRIPT_TYPES.join(', ')}`);
  }
  if (source === null || source === undefined) {
    role.removeScript(configuration, type);
    return;
  }
  if (typeof source !== 'string') throw new InvalidOptionError('source', 'a script source is a string of Lua, or null to remove it');
  const set = role.setScript(configuration, type, source, limits ?? null);
  if (!set.ok) throw roleError(set, 'source');
}

/**
 * A configurations file (docs/configurations.md): its JSON, or what
 * loadConfigurationsFile() ('tpgate/broker', Node) returned, with script files
 * read. Each configuration's enabled scripts are set; each device uses its
 * configuration by device_id and by device_number (whichever the role reports
 * it by); device_id -> device_number feeds the ack topics.
 */
function applyConfigurations(role, file, limits) {
  const parsed = file !== null && typeof file === 'object' && file.format !== undefined && Array.isArray(file.configurations)
    ? file
    : parseConfigurations(file, { source: 'options.configurations' });
  for (const [i, conf] of parsed.configurations.entries()) {
    for (const [type, script] of Object.entries(conf.scripts ?? {})) {
      if (!script || script.enabled === false) continue;
      if (typeof script.content !== 'string') {
        throw new InvalidOptionError('configurations', `configurations[${i}].scripts.${type} names the file "${script.file}", `
          + 'which a page cannot read: pass what loadConfigurationsFile() from tpgate/broker returns, or put the Lua in "content"');
      }
      setRoleScript(role, conf.id, type, script.content, limits);
    }
  }
  for (const device of parsed.devices) {
    if (typeof device.device_id === 'string' && typeof device.device_number === 'string') {
      role.mapDevice(device.device_id, device.device_number);
    }
    if (typeof device.configuration !== 'string' || device.configuration === '') continue;
    for (const key of ['device_id', 'device_number']) {
      if (typeof device[key] === 'string' && device[key] !== '') role.assignConfiguration(device[key], device.configuration);
    }
  }
}

/**
 * @param {(options: object) => Promise<object>} loadTpgate the platform module's loader
 * @param {(url: string, options: object) => Promise<object>} connect the MQTT client on that module
 */
export function createConnectPlatform(loadTpgate, connect) {
  return async function connectPlatform(url, options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', 'options must be an object');
    }
    const roleOptions = {};
    const clientOptions = {};
    for (const [key, value] of Object.entries(options)) {
      if (PLATFORM_OPTIONS.includes(key)) roleOptions[key] = value;
      else clientOptions[key] = value;
    }
    const { deviceNumbers, configurations, scriptLimits, ...forRole } = roleOptions;
    // docs/thingspanel.md#authentication; `root` is the platform's own username, so none is reserved here.
    const authProblem = authOptionsError('connectPlatform', clientOptions);
    if (authProblem !== null) throw authProblem;
    const tpgate = await loadModule(loadTpgate, options);
    const role = new tpgate.PlatformRole(forRole);
    const problem = role.optionsError();
    const subs = problem ? null : role.subscriptions();
    if (problem || !subs.ok) {
      role.delete();
      throw roleError(problem ?? subs, problem ? 'options' : 'shareGroup');
    }
    if (deviceNumbers !== undefined) {
      if (deviceNumbers === null || typeof deviceNumbers !== 'object') {
        role.delete();
        throw new InvalidOptionError('deviceNumbers', 'deviceNumbers must be an object {deviceId: deviceNumber}');
      }
      for (const [id, dn] of Object.entries(deviceNumbers)) role.mapDevice(id, String(dn));
    }
    if (configurations !== undefined) {
      try {
        applyConfigurations(role, configurations, scriptLimits);
      } catch (err) {
        role.delete();
        throw err;
      }
    }
    let client;
    try {
      client = await connect(url, clientOptions);
    } catch (err) {
      role.delete();
      throw err;
    }
    const platform = new PlatformClient(client, role, tpgate);
    platform._scriptLimits = scriptLimits;
    try {
      // One filter per SUBSCRIBE (docs/thingspanel.md#one-filter-per-subscribe).
      for (const filter of subs.filters) await client.subscribe(filter, { qos: 1 });
    } catch (err) {
      await platform.end(true);
      throw err;
    }
    return platform;
  };
}
