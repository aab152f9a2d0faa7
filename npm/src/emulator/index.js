// createEmulator(): a fleet of virtual ThingsPanel gateways (docs/scenario.md)
// in this process, on one shared wasm module. The gateways' behaviour lives in
// the wasm Fleet (src/emulator); host.js does their I/O.
//
//   const emu = await createEmulator(scenario, { url: 'mqtt://127.0.0.1:1883', gateways: 1000 });
//   emu.on('error', (err) => {});     // transport errors, per gateway
//   await emu.start();                // transports open, at most connectConcurrency at once
//   await emu.waitConnected();        // optional: every gateway has its CONNACK
//   console.log(emu.stats());         // counters, rates, ack latencies
//   await emu.stop();                 // every gateway DISCONNECTs and closes
//
// Environment-neutral: each entry point passes its module loader and transports.
import { Emitter } from '../emitter.js';
import { InvalidOptionError, ScenarioError, TpgateError } from '../errors.js';
import { FleetHost, clock, transportError } from './host.js';
import { provision, provisionLevels, readVouchersFile, scenarioWithVouchers, writeVouchersFile } from '../provision.js';
import { normalizeEmulatorOptions, provisionSettings, resolveTarget, scenarioText } from './options.js';

/** The error for a {ok:false, path, expected, message} from the core. */
export function scenarioError(failure) {
  const path = failure.path || '$';
  const message = failure.message.startsWith(path) ? failure.message : `${path}: ${failure.message}`;
  return new ScenarioError(message, path, failure.expected ?? '');
}

/**
 * Checks a scenario without connecting anything: resolves to the normalized
 * scenario (every default filled in) or rejects with a ScenarioError.
 * @param {() => Promise<object>} load the emulator module loader
 */
export function createParseScenario(load) {
  return async function parseScenario(scenario, loadOptions = {}) {
    const text = scenarioText(scenario);
    const module = await load(loadOptions);
    const result = module.parseScenario(text ?? module.defaultScenario());
    if (!result.ok) throw scenarioError(result);
    return JSON.parse(result.normalized);
  };
}

export class Emulator extends Emitter {
  /** @param {FleetHost} host @param {{stopTimeout: number}} options */
  constructor(host, options, scenario) {
    super();
    this._host = host;
    this._options = options;
    this._scenario = scenario;
    this._status = 'created'; // created | running | stopping | stopped
    this._startedAt = 0;
    this._stopPromise = null;
    this._finalStats = null;
    this._finalHistograms = null;
    this._last = null; // {at, published, received} of the previous stats()
    /** After provisioning: {registered, skipped, vouchers}; else null. */
    this.provisioned = null;
  }

  /** Gateways in this process (this shard's share of the fleet). */
  get size() {
    return this._host.size;
  }

  /** 'created', 'running', 'stopping' or 'stopped'. */
  get status() {
    return this._status;
  }

  /** The normalized scenario (every default filled in). */
  get scenario() {
    return this._scenario;
  }

  /** Gateways in the whole fleet (every shard together). */
  get fleetSize() {
    return this._options.gateways ?? this._scenario.gateways.count;
  }

  /**
   * This process's share: {index, count} (k of n, from 1; 1 of 1 without a
   * shard), `first` (the global 0-based index of its first gateway) and `gateways`.
   */
  get shard() {
    const { index, count } = this._options.shard ?? { index: 1, count: 1 };
    const first = this.size > 0 && this._host.fleet !== null ? this._host.fleet.gatewayInfo(0).index : this._firstIndex ?? 0;
    this._firstIndex = first;
    return { index, count, first, gateways: this.size };
  }

  /**
   * The whole run's latency histograms (not cleared by stats()): {ack_ms,
   * report_ack_ms, request_service_ms}, each a list of [low, high, count]
   * buckets in ms (high exclusive), in order, non-empty ones only. After stop(), the final ones.
   */
  histograms() {
    if (this._host.fleet === null) return this._finalHistograms ?? { ack_ms: [], report_ack_ms: [], request_service_ms: [] };
    return JSON.parse(this._host.fleet.histograms());
  }

  /** Identity of gateway `index` (0-based, local to this process): {index, device_number, client_id, username, password}. */
  gateway(index) {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new InvalidOptionError('index', `gateway(${String(index)}): index must be an integer from 0 to ${this.size - 1}`);
    }
    if (this._host.fleet === null) throw new TpgateError('ERR_EMULATOR_STOPPED', 'gateway(): the emulator was stopped');
    return this._host.fleet.gatewayInfo(index);
  }

  /** Starts every gateway; resolves once the fleet runs (transports keep opening after). */
  async start() {
    if (this._status !== 'created') {
      throw new TpgateError('ERR_EMULATOR_STARTED', `start(): the emulator is already ${this._status}; create a new one to start again`);
    }
    this._status = 'running';
    this._startedAt = clock();
    this._host.start();
  }

  /**
   * Resolves when `count` gateways (default: all) are connected (CONNACK
   * received). Rejects with ERR_TIMEOUT after `timeout` ms. Polls stats(), so
   * the latency window of the next stats() call is shorter.
   */
  waitConnected(count = this.size, { timeout = 60_000, interval = 50 } = {}) {
    return new Promise((resolve, reject) => {
      const deadline = clock() + timeout;
      const poll = () => {
        if (this._host.fleet === null) {
          reject(new TpgateError('ERR_EMULATOR_STOPPED', 'waitConnected(): the emulator was stopped'));
          return;
        }
        const s = JSON.parse(this._host.fleet.stats(clock()));
        if (s.connected >= count) resolve(s);
        else if (clock() > deadline) {
          reject(new TpgateError('ERR_TIMEOUT', `waitConnected(): ${s.connected} of ${count} gateways connected after ${timeout} ms (transport errors: ${this._host.transportErrors})`));
        } else setTimeout(poll, interval);
      };
      poll();
    });
  }

  /**
   * The fleet's counters (see EmulatorStats in the types) plus rates computed
   * since the previous stats() call; latency percentiles cover that window too.
   * After stop() it returns the final stats.
   */
  stats() {
    if (this._host.fleet === null) return this._finalStats;
    const at = clock();
    const s = JSON.parse(this._host.fleet.stats(at));
    Object.assign(s, this._host.counters());
    const last = this._last ?? { at: this._startedAt || at, published: 0, received: 0 };
    const seconds = (at - last.at) / 1000;
    s.uptime_s = this._startedAt ? (at - this._startedAt) / 1000 : 0;
    s.window_s = seconds;
    s.published_per_s = seconds > 0 ? (s.published - last.published) / seconds : 0;
    s.received_per_s = seconds > 0 ? (s.received - last.received) / seconds : 0;
    s.messages_per_s = s.published_per_s + s.received_per_s;
    this._last = { at, published: s.published, received: s.received };
    return s;
  }

  /**
   * Every gateway sends DISCONNECT and closes its transport (no reconnects).
   * Resolves with the final stats once every transport has closed, or after
   * `stopTimeout` ms, when the rest are destroyed (counted in forced_closes).
   */
  stop() {
    if (this._stopPromise) return this._stopPromise;
    if (this._status === 'created') {
      this._status = 'stopped';
      this._finalStats = this.stats();
      this._finalHistograms = this.histograms();
      void this.shard; // kept for after dispose()
      this._host.dispose();
      this._stopPromise = Promise.resolve(this._finalStats);
      return this._stopPromise;
    }
    this._status = 'stopping';
    this._stopPromise = new Promise((resolve) => {
      let timer = null;
      const finish = () => {
        if (this._status === 'stopped') return;
        if (timer !== null) clearTimeout(timer);
        this._host.destroyAll();
        this._finalStats = this.stats();
        this._finalHistograms = this.histograms();
        void this.shard; // kept for after dispose()
        this._host.dispose();
        this._status = 'stopped';
        this.emit('stopped', this._finalStats);
        resolve(this._finalStats);
      };
      // The last close may come from inside stop(): resolve after it returns.
      this._host.hooks.onIdle = () => queueMicrotask(finish);
      timer = setTimeout(finish, this._options.stopTimeout);
      this._host.stop();
    });
    return this._stopPromise;
  }
}

/**
 * @param {(options?: object) => Promise<object>} loadEmulator loads the emulator wasm module once
 * @param {Record<string, import('./host.js').FleetTransport>} transports by kind ('ws', 'tcp', 'tls')
 * @param {(fn: () => void) => void} defer runs fn after the current batch of I/O callbacks
 */
export function createCreateEmulator(loadEmulator, transports, defer) {
  const supported = Object.keys(transports);
  /**
   * A fleet of virtual gateways. Rejects with a ScenarioError (bad scenario)
   * or an InvalidOptionError (bad option) before anything connects.
   */
  return async function createEmulator(scenario, options) {
    const text = scenarioText(scenario);
    const o = normalizeEmulatorOptions(options);
    const module = await loadEmulator(o.load);
    const source = text ?? module.defaultScenario();
    let parsed = module.parseScenario(source);
    if (!parsed.ok) throw scenarioError(parsed);
    let normalized = JSON.parse(parsed.normalized);
    const target = resolveTarget(options ?? {}, normalized.broker?.url, supported);
    const settings = provisionSettings(normalized.provision, options?.provision);
    let created = module.createFleet(source, o.fleetJson);
    let provisioned = null;
    if (created.ok && settings !== null) {
      // Register before connecting, then build the fleet again with the vouchers as credentials.
      const identities = [];
      for (let i = 0; i < created.fleet.size(); i++) identities.push(created.fleet.gatewayInfo(i));
      created.fleet.delete();
      // Where the vouchers are kept: the caller's store (browsers), else the vouchers file (Node).
      const file = settings.vouchersFile;
      const store = settings.vouchers ?? (file ? { read: () => readVouchersFile(file), write: (v) => writeVouchersFile(file, v) } : null);
      const vouchers = store ? ((await store.read()) ?? {}) : {};
      const result = await provision({
        apiUrl: settings.apiUrl,
        templateSecret: settings.templateSecret,
        levels: provisionLevels(identities.map((id) => id.device_number), normalized.gateway, settings.subDevices),
        vouchers,
        concurrency: settings.concurrency,
        retries: settings.retries,
        fetch: settings.fetch,
        onProgress: settings.onProgress,
        save: store ? (v) => store.write(v) : undefined,
      });
      const total = o.gateways ?? normalized.gateways.count;
      const withVouchers = scenarioWithVouchers(normalized, result.vouchers, identities, total);
      parsed = module.parseScenario(JSON.stringify(withVouchers));
      if (!parsed.ok) throw scenarioError(parsed);
      normalized = JSON.parse(parsed.normalized);
      provisioned = { registered: result.registered, skipped: result.skipped, vouchers: result.vouchers };
      created = module.createFleet(JSON.stringify(withVouchers), o.fleetJson);
    }
    if (!created.ok) {
      // The options JSON is ours; a failure there names an option (count, shard_*).
      const path = created.path ?? '';
      const option = path.startsWith('options.') ? path.slice('options.'.length).split('.')[0] : path === 'options' ? 'options' : null;
      if (option !== null) {
        const name = { count: 'gateways', shard_index: 'shard', shard_count: 'shard' }[option] ?? option;
        throw new InvalidOptionError(name, `createEmulator: ${created.message}`);
      }
      throw scenarioError(created);
    }
    let emulator = null;
    const host = new FleetHost(module, created.fleet, target, transports[target.kind], o, {
      defer,
      onEvents: (list) => {
        for (const e of list) emulator.emit('event', e);
      },
      onTransportError: (i, err) => {
        if (emulator.listenerCount('error') > 0) emulator.emit('error', transportError(i, host.fleet?.gatewayInfo(i), err));
      },
      onIdle: () => {},
    });
    emulator = new Emulator(host, o, normalized);
    emulator.provisioned = provisioned;
    return emulator;
  };
}
