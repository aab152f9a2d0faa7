// connectGateway(): the ThingsPanel gateway (device side) over an MqttClient.
//
// The protocol lives in the wasm GatewayRole (src/gateway/gateway_role.hpp), a
// sans-I/O object: this file feeds it every received message with the time
// (through the module's scratch area), reads what each call returns as one
// frame (npm/src/packed.js; src/gateway/gateway_frame.hpp has its event
// shapes), publishes its publications, calls the user's handlers for its
// requests and answers them, and keeps one timer at its next ack deadline
// (role-host.js).
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
import { ClientClosedError, InvalidOptionError, TpgateError } from './errors.js';
import { makeTarget, readFrameAt, topicLength, writePublish } from './packed.js';
import { loadModule, RoleHost } from './role-host.js';
import { authOptionsError } from './thingspanel-auth.js';

// Options the gateway reads; everything else goes to connect().
const GATEWAY_OPTIONS = ['deviceNumber', 'ackTimeout', 'maxDepth', 'gatewayQos', 'maxPayloadBytes'];
const RESERVED_USERNAMES = ['root', 'plugin'];

/** A default client id for a gateway: its device_number plus 8 random hex digits, unique per connection. */
function gatewayClientId(deviceNumber) {
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += Math.floor(Math.random() * 16).toString(16);
  return `${deviceNumber}-${suffix}`;
}

const HANDLERS = { command: 'command', attributeSet: 'attribute set', attributeGet: 'attribute get', control: 'control' };

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

// Collects the records of one frame (read in place: nothing may call into the
// module meanwhile): publications as {type: 'publication', topic, payload,
// qos, retain}, events as they are.
class FrameItems {
  constructor() {
    this.items = [];
  }

  publication(topic, payload, qos, retain) {
    this.items.push({ type: 'publication', topic, payload, qos, retain });
  }

  jsonEvent(e) {
    this.items.push(e);
  }
}

export class GatewayClient extends RoleHost {
  constructor(client, role, tpgate) {
    super(client, role, tpgate);
    this._address = role.address(); // for the plain export of the receive path
    this._handlers = new Map();
    this._endPromise = null;
    this._onMessage = (topic, payload) => {
      if (this._ended) return;
      const length = writePublish(this._tpgate, topic, payload);
      this._act(this._read(this._tpgate._tpgate_gateway_receive(this._address, topicLength, length, Date.now())), 'receive');
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
    // [publication, {type: 'report', messageId, token, warnings}] or [failure]
    const { items, deadline } = this._read(this._role[method](text, Date.now()));
    const failure = items.find((item) => item.type === 'failure');
    if (failure !== undefined) throw coreError(failure, `${method}: ${what} refused`);
    const pub = items.find((item) => item.type === 'publication');
    const out = items.find((item) => item.type === 'report');
    for (const warning of out.warnings) this.emit('warning', warning);
    if (!acked) {
      await this.client.publish(pub.topic, pub.payload, { qos: pub.qos, retain: pub.retain });
      return;
    }
    const settled = this._keep(this._wait(out.token, { what, messageId: out.messageId }), method, what, out.messageId);
    // The ack may settle this before the PUBACK ends the await below; it is returned then.
    settled.catch(() => {});
    this._arm(deadline);
    try {
      await this.client.publish(pub.topic, pub.payload, { qos: pub.qos, retain: pub.retain });
    } catch (err) {
      this._settle(out.token);
      throw err;
    }
    return settled;
  }

  // With a session store, a report awaiting its ack is kept there until the
  // ack (or its refusal, or the timeout) comes: a restarted gateway waits for
  // it again (_resumeReports). end() leaves it in the store.
  _keep(settled, method, what, messageId) {
    if (this.client.restored === null) return settled;
    const key = `report:${messageId}`;
    this.client._note(key, JSON.stringify({ event: method === 'reportEvent', what, sentAt: Date.now() }));
    const forget = () => this.client._forget(key);
    return settled.then(
      (value) => {
        forget();
        return value;
      },
      (err) => {
        if (err?.code !== 'ERR_CLIENT_CLOSED') forget();
        throw err;
      },
    );
  }

  // Reports of an earlier process still awaiting their acks: waited for again.
  _resumeReports() {
    this.restoredReports = [];
    for (const [key, text] of Object.entries(this.client._notes())) {
      if (!key.startsWith('report:')) continue;
      const messageId = key.slice('report:'.length);
      let info;
      try {
        info = JSON.parse(text);
      } catch {
        this.client._forget(key);
        continue;
      }
      const { items, deadline } = this._read(this._role.resumeReport(info.event === true, messageId, Date.now()));
      const out = items.find((item) => item.type === 'report');
      if (out === undefined) continue; // refused (a duplicate id): nothing to wait for
      const settled = this._keep(this._wait(out.token, { what: info.what, messageId }), info.event ? 'reportEvent' : 'reportAttributes', info.what, messageId);
      settled.catch(() => {});
      this.restoredReports.push({ messageId, what: info.what, sentAt: info.sentAt, settled });
      this._arm(deadline);
    }
  }

  // The frame at address `at`: its records in order, and its deadline (null: none).
  _read(at) {
    const sink = new FrameItems();
    const deadline = readFrameAt(this._tpgate, at, sink, null);
    return { items: sink.items, deadline: deadline < 0 ? null : deadline };
  }

  // Acts on the records of a frame in order; `what` names the call in a failure's error.
  _act({ items, deadline }, what) {
    for (const item of items) {
      if (item.type === 'publication') {
        this.client
          .publish(item.topic, item.payload, { qos: item.qos, retain: item.retain })
          .catch((err) => this.emit('error', err));
      } else if (item.type === 'failure') {
        this.emit('error', coreError(item, what));
      } else {
        this._event(item);
      }
    }
    this._arm(deadline);
  }

  _deadline() {
    this._act(this._read(this._role.tick(Date.now())), 'tick');
  }

  _event(event) {
    switch (event.type) {
      case 'request':
        this._dispatch(event);
        break;
      case 'reportAcked': {
        const pending = this._settle(event.token);
        if (pending === undefined) break;
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
        const pending = this._settle(event.token);
        if (pending === undefined) break;
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
      const body = request.body;
      const target = makeTarget(request.target.subGateways, request.target.subDevice, false);
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
    let out = this._read(this._role.respond(request.id, outcome, Date.now()));
    const failure = out.items.find((item) => item.type === 'failure');
    if (failure !== undefined && outcome.ok) {
      // e.g. an attribute get handler that returned no object: answer with a failure instead.
      const message = `the ${HANDLERS[request.kind]} handler's result was refused: ${failure.message}`;
      this.emit('error', new TpgateError('ERR_GATEWAY', message, { reasonCode: failure.code }));
      out = this._read(this._role.respond(request.id, { ok: false, errcode: 'INTERNAL_ERROR', message }, Date.now()));
    }
    this._act(out, 'respond');
  }

  /** Ends the MQTT client; reports still waiting for an ack reject with ERR_CLIENT_CLOSED. */
  end(force = false) {
    if (this._endPromise === null) {
      this.client.off?.('message', this._onMessage);
      this._endHost(
        (pending) => new ClientClosedError(`the gateway was ended before ${pending.what} ${pending.messageId} was acked`),
      );
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
    const tpgate = await loadModule(loadTpgate, options);
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
      gw.restoredReports = [];
      if (client.restored !== null) gw._resumeReports();
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
