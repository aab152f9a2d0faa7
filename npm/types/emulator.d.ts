// Types of 'tpgate/emulator': fleets of virtual ThingsPanel gateways, on the emulator module.
import type { LoadOptions, TpgateError } from './index.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, TpgateError } from './index.js';

// ---------------------------------------------------------------------------
// The emulator: fleets of virtual ThingsPanel gateways (docs/scenario.md).
// ---------------------------------------------------------------------------

/**
 * Loads the emulator module (tpgate-emulator.wasm: MQTT, the gateway role and the virtual gateway
 * model, used by createEmulator() and parseScenario()) once per JS realm. `locateFile` receives
 * 'tpgate-emulator.wasm'.
 */
export function loadTpgateEmulator(options?: LoadOptions): Promise<unknown>;

/** A scenario: the object of docs/scenario.md (checked by the core, which names any unknown field). */
export type Scenario = Record<string, unknown>;

export interface EmulatorOptions extends LoadOptions {
  /** Broker URL: ws://, wss://, mqtt://, tcp://, mqtts:// (Node); ws:// or wss:// (browsers, Web Workers). Default: the scenario's broker.url. */
  url?: string | URL;
  /** Force the transport (same host and port); default from the URL's scheme. */
  transport?: 'ws' | 'tcp';
  /** Gateways in the whole fleet (overrides the scenario's gateways.count). */
  gateways?: number;
  /** Run only shard k of n ('2/4' or {index: 2, count: 4}, k from 1): gateways split evenly across processes. */
  shard?: string | { index: number; count: number };
  /** PRNG seed (overrides the scenario's seed). */
  seed?: number;
  /** Emit 'event' for what the gateways do (the core's event records). Default false. */
  events?: boolean;
  /** Max transports opening at once (default 500): a large fleet ramps up without a SYN storm. */
  connectConcurrency?: number;
  /** WebSocket path, replacing the URL's ('/mqtt'). */
  wsPath?: string;
  /** WebSocket subprotocols; default ['mqtt']. */
  wsProtocols?: string[];
  /** Node: options for tls.connect / wss (ca, cert, key, rejectUnauthorized, ...). */
  tls?: object;
  /** ms stop() waits for every gateway's DISCONNECT and close before destroying the rest (default 5000). */
  stopTimeout?: number;
  /**
   * Register every gateway (and with subDevices every device below it) over HTTP before connecting
   * (docs/scenario.md "Provisioning"); overrides the scenario's `provision`. Rejects with a
   * TpgateError of code 'ERR_PROVISION' (with `platformCode` when the platform answered one).
   */
  provision?: ProvisionOptions;
}

/** Counters of a fleet. Totals since start; *_per_s and percentiles over the window since the previous stats() call. */
export interface ProvisionProgress {
  done: number;
  total: number;
  registered: number;
  /** Already in the vouchers file. */
  skipped: number;
  failed: number;
}

export interface ProvisionOptions {
  /** The platform's backend, e.g. 'http://127.0.0.1:9999' (POST {apiUrl}/api/v1/device/auth). */
  apiUrl?: string;
  templateSecret?: string;
  /** Node: where the vouchers are kept (device_number -> {device_id, username, password}). */
  vouchersFile?: string;
  /** Anywhere (browsers): where the vouchers are kept, in place of vouchersFile. */
  vouchers?: { read(): Promise<Record<string, Voucher> | null>; write(vouchers: Record<string, Voucher>): Promise<void> };
  /** Registrations in flight at once (default 16). */
  concurrency?: number;
  /** Retries of a registration on network errors and HTTP 5xx (default 5). */
  retries?: number;
  subDevices?: boolean;
  onProgress?: (progress: ProvisionProgress) => void;
  /** Default: globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface Voucher {
  device_id: string;
  username: string;
  password?: string;
}

export interface EmulatorStats {
  gateways: number;
  /** Gateways with a CONNACK now. */
  connected: number;
  /** Uplinks made: sent, or queued while offline (see queued). */
  published: number;
  /** Uplinks waiting in the gateways' offline buffers now. */
  queued: number;
  /** About the heap bytes those uplinks hold; the fleet's buffers share 512 MiB (docs/scenario.md). */
  queued_bytes: number;
  /** QoS 1/2 uplinks the broker acknowledged. */
  publish_acked: number;
  received: number;
  commands: number;
  attribute_sets: number;
  attribute_gets: number;
  controls: number;
  events_sent: number;
  /** Attribute and event reports the platform acked. */
  reports_acked: number;
  failures_injected: number;
  /** Of commands (attribute_sets, ...): answered with a failure, injected or not. */
  commands_failed: number;
  attribute_sets_failed: number;
  attribute_gets_failed: number;
  controls_failed: number;
  /** Of published, by kind. */
  published_telemetry: number;
  published_attributes: number;
  published_events: number;
  published_responses: number;
  /** Every kind below (transport errors are counted apart, in transport_errors). */
  errors: number;
  /** Of errors: a malformed downlink, a payload that could not be built, a session error. */
  protocol_errors: number;
  /** Of errors: operations the broker refused (a failure reason code in PUBACK, SUBACK, ...). */
  refused: number;
  /** Of errors: attribute / event reports no platform acked in time (is a platform attached to the broker?). */
  report_ack_timeouts: number;
  /** Of errors: requests that could not be served (no such device, the response could not be built). */
  request_failures: number;
  /** Of errors: custom-format scripts that failed (that message was dropped). */
  script_errors: number;
  reconnects: number;
  /** Uplinks dropped past offline_buffer or the fleet's offline byte budget. */
  dropped: number;
  bytes_out: number;
  bytes_in: number;
  /** PUBACK latency, ms; null when nothing was acked in the window. */
  ack_p50_ms: number | null;
  ack_p99_ms: number | null;
  /** Latency of the platform's report acks, ms. */
  report_ack_p50_ms: number | null;
  report_ack_p99_ms: number | null;
  /** A request's arrival -> its response handed to the session, ms. */
  request_service_p50_ms: number | null;
  request_service_p99_ms: number | null;
  transports_open: number;
  transports_opening: number;
  transports_queued: number;
  transport_errors: number;
  gateways_ended: number;
  /** Sockets stop() had to destroy (no clean close in time). */
  forced_closes: number;
  uptime_s: number;
  window_s: number;
  published_per_s: number;
  received_per_s: number;
  messages_per_s: number;
}

/** A latency histogram: [low, high, count] buckets in ms (high exclusive), in order, non-empty only. */
export type LatencyBuckets = Array<[low: number, high: number, count: number]>;

/** Identity of one gateway of the fleet. */
export interface EmulatedGateway {
  index: number;
  device_number: string;
  client_id: string;
  username: string;
  password: string | null;
}

export interface EmulatorEvents {
  /** A transport error of one gateway (code 'ERR_TRANSPORT'); the gateway reconnects as its scenario says. */
  error: (error: TpgateError) => void;
  /** With options.events: one record of what a gateway did. */
  event: (event: Record<string, unknown>) => void;
  /** stop() finished; the final stats. */
  stopped: (stats: EmulatorStats) => void;
}

/** A running fleet. Owns its wasm fleet: stop() frees it. */
export class Emulator {
  /** Gateways in this process (this shard's share). */
  readonly size: number;
  readonly status: 'created' | 'running' | 'stopping' | 'stopped';
  /** The normalized scenario, every default filled in. */
  readonly scenario: Scenario;
  /** After provisioning: how many devices were registered, how many were already known, and every voucher. */
  readonly provisioned: { registered: number; skipped: number; vouchers: Record<string, Voucher> } | null;
  on<E extends keyof EmulatorEvents>(event: E, listener: EmulatorEvents[E]): this;
  once<E extends keyof EmulatorEvents>(event: E, listener: EmulatorEvents[E]): this;
  off<E extends keyof EmulatorEvents>(event: E, listener: EmulatorEvents[E]): this;
  /** Gateway `index` (0-based, local to this process). */
  gateway(index: number): EmulatedGateway;
  /** Starts every gateway; resolves at once (transports keep opening, connectConcurrency at a time). */
  start(): Promise<void>;
  /** Resolves when `count` gateways (default all) are connected; rejects ERR_TIMEOUT. */
  waitConnected(count?: number, options?: { timeout?: number; interval?: number }): Promise<unknown>;
  /** Gateways in the whole fleet (every shard together). */
  readonly fleetSize: number;
  /** This process's share: k of n (1 of 1 without a shard), the global index of its first gateway, how many. */
  readonly shard: { index: number; count: number; first: number; gateways: number };
  /** Counters and rates (see EmulatorStats); after stop(), the final stats. */
  stats(): EmulatorStats;
  /** The whole run's latency histograms (stats() does not clear them); after stop(), the final ones. */
  histograms(): { ack_ms: LatencyBuckets; report_ack_ms: LatencyBuckets; request_service_ms: LatencyBuckets };
  /** Every gateway sends DISCONNECT and closes (no reconnects); resolves with the final stats. */
  stop(): Promise<EmulatorStats>;
}

/**
 * Brings up a fleet of virtual gateways (not connected until start()). `scenario`: an object, JSON
 * text, or undefined for the built-in multi-level gateway. Rejects with ScenarioError (bad
 * scenario, with path and expected) or InvalidOptionError before anything connects.
 */
export function createEmulator(scenario?: Scenario | string, options?: EmulatorOptions): Promise<Emulator>;

/** Checks a scenario without connecting: the normalized scenario, or a ScenarioError. */
export function parseScenario(scenario?: Scenario | string, options?: LoadOptions): Promise<Scenario>;
