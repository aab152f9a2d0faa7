// connectGateway(): the ThingsPanel gateway (device side) over an MqttClient.
//
// The protocol lives in the wasm GatewayRole (src/gateway/gateway_role.hpp), a
// sans-I/O object: this file feeds it every received message with the time,
// publishes what it returns, calls the user's handlers for its requests and
// answers them, and keeps one timer at its next ack deadline. JSON crosses
// the wasm boundary as text and is parsed here once.
//
//   const gw = await connectGateway(url, { deviceNumber, username, password });
//   gw.onCommand(async ({ target, method, params, messageId }) => ({ done: true }));
//   await gw.reportTelemetry({ gateway: { temp: 21 }, subDevices: { sensor_1: { hum: 40 } } });
//   await gw.reportAttributes({ gateway: { ip: '10.0.0.2' } }); // resolves on the platform's ack
//   await gw.end();
//
// target (what a request is for): { path, subGateways, subDevice?, name }
//   path         sub-gateway addresses from the top, then the sub-device address if any;
//                [] is the top-level gateway itself
//   subGateways  the sub-gateway addresses only
//   subDevice    the sub-device address, absent when the target is a gateway
//   name         'gateway', 'sensor_1', 'gw_1/sensor_101' (as in error messages)
import { Emitter } from './emitter.js';
import { ClientClosedError, InvalidOptionError, TpgateError } from './errors.js';

// Options the gateway reads; everything else goes to connect().
const GATEWAY_OPTIONS = ['deviceNumber', 'ackTimeout', 'maxDepth', 'gatewayQos', 'maxPayloadBytes'];
// docs/thingspanel.md#authentication: the broker takes keep-alives of at most 300 s.
export const MAX_KEEPALIVE = 300;
const RESERVED_USERNAMES = ['root', 'plugin'];

/**
 * Checks the connection options ThingsPanel constrains (docs/thingspanel.md#authentication) and
 * returns the first problem as an InvalidOptionError, or null.
 * @param {string} fn the public function, for the message
 * @param {object} options
 * @param {{ reservedUsernames?: string[] }} [rules]
 */
export function authOptionsError(fn, options, { reservedUsernames = [] } = {}) {
  const { keepalive, clientId, username } = options;
  if (typeof keepalive === 'number' && (keepalive === 0 || keepalive > MAX_KEEPALIVE)) {
    return new InvalidOptionError(
      'keepalive',
      `${fn}: keepalive ${keepalive} is not allowed: the ThingsPanel broker accepts at most ${MAX_KEEPALIVE} s (and keep-alive cannot be turned off with 0)`,
    );
  }
  if (clientId === '') {
    return new InvalidOptionError('clientId', `${fn}: clientId must not be empty: ThingsPanel needs a unique, non-empty client id (leave it out to get a generated one)`);
  }
  if (typeof username === 'string' && reservedUsernames.includes(username)) {
    return new InvalidOptionError('username', `${fn}: username ${JSON.stringify(username)} is reserved for the ThingsPanel platform; a device connects with its own voucher`);
  }
  return null;
}

/** A default client id for a gateway: its device_number plus 8 random hex digits, unique per connection. */
function gatewayClientId(deviceNumber) {
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += Math.floor(Math.random() * 16).toString(16);
  return `${deviceNumber}-${suffix}`;
}

const HANDLERS = { command: 'command', attributeSet: 'attribute set', attributeGet: 'attribute get', control: 'control' };

function toTarget(t) {
  const path = t.subDevice === undefined ? [...t.subGateways] : [...t.subGateways, t.subDevice];
  const target = { path, subGateways: t.subGateways, name: path.length === 0 ? 'gateway' : path.join('/') };
  if (t.subDevice !== undefined) target.subDevice = t.subDevice;
  return target;
}

const SEED_KEYS = ['gateway_data', 'sub_device_data', 'sub_gateway_data'];
const FRIENDLY_KEYS = ['gateway', 'subDevices', 'subGateways'];

// {gateway, subDevices, subGateways: {addr: {...same...}}} -> the wire's
// {gateway_data, sub_device_data, sub_gateway_data}; seed-shaped objects pass as they are.
function toWire(report) {
  if (report === null || typeof report !== 'object' || Array.isArray(report)) return report;
  const keys = Object.keys(report);
  if (keys.some((k) => SEED_KEYS.includes(k)) || !keys.some((k) => FRIENDLY_KEYS.includes(k))) return report;
  const wire = {};
  for (const key of keys) {
    if (key === 'gateway') wire.gateway_data = report.gateway;
    else if (key === 'subDevices') wire.sub_device_data = report.subDevices;
    else if (key === 'subGateways') {
      const subs = report.subGateways;
      if (subs === null || typeof subs !== 'object' || Array.isArray(subs)) {
        wire.sub_gateway_data = subs; // the core names what is wrong with it
      } else {
        wire.sub_gateway_data = {};
        for (const [addr, node] of Object.entries(subs)) wire.sub_gateway_data[addr] = toWire(node);
      }
    } else {
      wire[key] = report[key]; // unknown key: the core refuses it and names it
    }
  }
  return wire;
}

function coreError(failure, what) {
  return new TpgateError('ERR_GATEWAY', `${what}: ${failure.message}`, { reasonCode: failure.code });
}

export class GatewayClient extends Emitter {
  constructor(client, role, tpgate) {
    super();
    this.client = client;
    this._role = role;
    this._tpgate = tpgate;
    this._handlers = new Map();
    this._reports = new Map(); // token -> {resolve, reject, kind, messageId}
    this._timer = null;
    this._ended = false;
    this._endPromise = null;
    this._onMessage = (topic, payload) => {
      if (this._ended) return;
      this._handle(this._role.receive(topic, payload, Date.now()), 'receive');
    };
    client.on('message', this._onMessage);
  }

  /** The filters subscribed to, one per SUBSCRIBE. */
  get subscriptions() {
    return this._filters;
  }

  onCommand(handler) {
    return this._on('command', handler);
  }
  onAttributeSet(handler) {
    return this._on('attributeSet', handler);
  }
  onAttributeGet(handler) {
    return this._on('attributeGet', handler);
  }
  onControl(handler) {
    return this._on('control', handler);
  }

  _on(kind, handler) {
    if (handler !== null && typeof handler !== 'function') {
      throw new InvalidOptionError('handler', `the ${HANDLERS[kind]} handler must be a function or null`);
    }
    if (handler === null) this._handlers.delete(kind);
    else this._handlers.set(kind, handler);
    return this;
  }

  /** Resolves when the telemetry was published (no ack exists for telemetry). */
  reportTelemetry(report) {
    return this._report('reportTelemetry', 'telemetry', report, false);
  }
  /** Resolves with {messageId, rttMs, family} when the platform acks. */
  reportAttributes(report) {
    return this._report('reportAttributes', 'attribute report', report, true);
  }
  reportEvent(report) {
    return this._report('reportEvent', 'event report', report, true);
  }

  async _report(method, what, report, acked) {
    if (this._ended) throw new ClientClosedError(`${method}() after end()`);
    let text;
    try {
      text = JSON.stringify(toWire(report));
    } catch (err) {
      throw new InvalidOptionError('report', `${method}: the report cannot be turned into JSON: ${err.message}`);
    }
    if (text === undefined) throw new InvalidOptionError('report', `${method}: expected an object`);
    const out = this._role[method](text, Date.now());
    if (!out.ok) throw coreError(out, `${method}: ${what} refused`);
    for (const warning of out.warnings) this.emit('warning', warning);
    const pub = out.publications[0];
    if (!acked) {
      await this.client.publish(pub.topic, pub.payload, { qos: pub.qos, retain: pub.retain });
      return;
    }
    const settled = new Promise((resolve, reject) => {
      this._reports.set(out.token, { resolve, reject, what, messageId: out.messageId });
    });
    // The ack may settle this before the PUBACK ends the await below; it is returned then.
    settled.catch(() => {});
    this._arm();
    try {
      await this.client.publish(pub.topic, pub.payload, { qos: pub.qos, retain: pub.retain });
    } catch (err) {
      this._reports.delete(out.token);
      throw err;
    }
    return settled;
  }

  _handle(out, what) {
    if (!out.ok) {
      this.emit('error', coreError(out, what));
      return;
    }
    for (const pub of out.publications) {
      this.client
        .publish(pub.topic, pub.payload, { qos: pub.qos, retain: pub.retain })
        .catch((err) => this.emit('error', err));
    }
    for (const event of out.events) this._event(event);
    this._arm();
  }

  _event(event) {
    switch (event.type) {
      case 'request':
        this._dispatch(event);
        break;
      case 'reportAcked': {
        const pending = this._reports.get(event.token);
        if (pending === undefined) break;
        this._reports.delete(event.token);
        if (event.success) {
          pending.resolve({ messageId: pending.messageId, rttMs: event.rttMs, family: event.family });
        } else {
          const why = event.problem || `${event.errcode || 'no errcode'}: ${event.message}`;
          const err = new TpgateError(
            'ERR_REPORT_REFUSED',
            `the platform refused ${pending.what} ${pending.messageId} (${why})`,
          );
          err.errcode = event.errcode;
          pending.reject(err);
        }
        break;
      }
      case 'reportTimedOut': {
        const pending = this._reports.get(event.token);
        if (pending === undefined) break;
        this._reports.delete(event.token);
        pending.reject(
          new TpgateError('ERR_TIMEOUT', `no ack for ${pending.what} ${event.messageId} within the ack timeout`),
        );
        break;
      }
      case 'error':
        this.emit(
          'error',
          new TpgateError('ERR_GATEWAY_INPUT', `${event.error.message} (topic ${event.topic})`, {
            reasonCode: event.error.code,
          }),
        );
        break;
      case 'warning':
        this.emit('warning', event.message);
        break;
      default:
        break; // reportSent: the attribute report answering a get went out
    }
  }

  async _dispatch(request) {
    const handler = this._handlers.get(request.kind);
    let outcome;
    if (handler === undefined) {
      outcome = { ok: false, errcode: 'NOT_SUPPORTED', message: `no ${HANDLERS[request.kind]} handler` };
    } else {
      const body = JSON.parse(request.body);
      const target = toTarget(request.target);
      let arg;
      if (request.kind === 'command') {
        arg = { target, method: body.method, params: body.params, messageId: request.messageId };
      } else if (request.kind === 'attributeSet') {
        arg = { target, values: body, messageId: request.messageId };
      } else if (request.kind === 'attributeGet') {
        arg = { target, keys: body.keys };
      } else {
        arg = { target, values: body };
      }
      try {
        const result = await handler(arg);
        outcome = { ok: true, values: request.kind === 'attributeGet' ? JSON.stringify(result ?? {}) : '' };
      } catch (err) {
        const code = err?.code;
        outcome = {
          ok: false,
          errcode: typeof code === 'string' && code !== '' ? code : typeof code === 'number' ? String(code) : 'INTERNAL_ERROR',
          message: String(err?.message ?? err),
        };
      }
    }
    if (this._ended) return;
    let out = this._role.respond(request.id, outcome, Date.now());
    if (!out.ok && outcome.ok) {
      // e.g. an attribute get handler that returned no object: answer with a failure instead.
      const message = `the ${HANDLERS[request.kind]} handler's result was refused: ${out.message}`;
      this.emit('error', new TpgateError('ERR_GATEWAY', message, { reasonCode: out.code }));
      out = this._role.respond(request.id, { ok: false, errcode: 'INTERNAL_ERROR', message }, Date.now());
    }
    this._handle(out, 'respond');
  }

  _arm() {
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    if (this._ended) return;
    const deadline = this._role.nextDeadline();
    if (deadline === null) return;
    this._timer = setTimeout(() => {
      this._timer = null;
      if (!this._ended) this._handle(this._role.tick(Date.now()), 'tick');
    }, Math.max(0, deadline - Date.now()));
  }

  /** Ends the MQTT client; reports still waiting for an ack reject with ERR_CLIENT_CLOSED. */
  end(force = false) {
    if (this._endPromise === null) {
      this._ended = true;
      if (this._timer !== null) clearTimeout(this._timer);
      this._timer = null;
      this.client.off?.('message', this._onMessage);
      for (const pending of this._reports.values()) {
        pending.reject(new ClientClosedError(`the gateway was ended before ${pending.what} ${pending.messageId} was acked`));
      }
      this._reports.clear();
      this._role.delete();
      this._endPromise = this.client.end(force);
    }
    return this._endPromise;
  }
}

/**
 * @param {(options: object) => Promise<object>} loadTpgate
 * @param {(url: string, options: object) => Promise<object>} connect
 */
export function createConnectGateway(loadTpgate, connect) {
  return async function connectGateway(url, options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', 'connectGateway: options must be an object with a deviceNumber');
    }
    const { deviceNumber } = options;
    if (typeof deviceNumber !== 'string' || deviceNumber === '') {
      throw new InvalidOptionError('deviceNumber', "connectGateway: deviceNumber must be a non-empty string (the gateway's device_number)");
    }
    const roleOptions = { deviceNumber };
    if (options.ackTimeout !== undefined) roleOptions.ackTimeout = options.ackTimeout;
    if (options.maxDepth !== undefined) roleOptions.maxDepth = options.maxDepth;
    if (options.gatewayQos !== undefined) roleOptions.qos = options.gatewayQos;
    if (options.maxPayloadBytes !== undefined) roleOptions.maxPayloadBytes = options.maxPayloadBytes;
    const clientOptions = {};
    for (const key of Object.keys(options)) if (!GATEWAY_OPTIONS.includes(key)) clientOptions[key] = options[key];
    const authProblem = authOptionsError('connectGateway', clientOptions, { reservedUsernames: RESERVED_USERNAMES });
    if (authProblem !== null) throw authProblem;
    if (clientOptions.clientId === undefined) clientOptions.clientId = gatewayClientId(deviceNumber);

    // Options are checked by the role before any connection is made.
    let tpgate;
    try {
      tpgate = await loadTpgate({ locateFile: options.locateFile, wasmBinary: options.wasmBinary });
    } catch (err) {
      throw new TpgateError('ERR_WASM_LOAD', `the tpgate .wasm could not be loaded: ${err?.message ?? err}`, {
        cause: err,
      });
    }
    const role = new tpgate.GatewayRole(roleOptions);
    const problem = role.optionsError();
    const subs = problem === null ? role.subscriptions() : null;
    if (problem !== null || !subs.ok) {
      role.delete();
      if (problem !== null) throw new InvalidOptionError('options', `connectGateway: ${problem.message}`);
      throw new InvalidOptionError('deviceNumber', `connectGateway: deviceNumber ${JSON.stringify(deviceNumber)}: ${subs.message}`);
    }
    let client;
    try {
      client = await connect(url, clientOptions);
      const gw = new GatewayClient(client, role, tpgate);
      gw._filters = subs.filters;
      const qos = roleOptions.qos ?? 1;
      // One filter per SUBSCRIBE (docs/thingspanel.md#one-filter-per-subscribe).
      for (const filter of subs.filters) await client.subscribe(filter, { qos });
      return gw;
    } catch (err) {
      role.delete();
      if (client !== undefined) await client.end(true).catch(() => {});
      throw err;
    }
  };
}
