// Types of 'tpgate/platform': the ThingsPanel platform client (the platform side: reports in, requests
// out), on the platform module.
import type { ClientOptions, LoadOptions, MqttClient, ScriptType, TpgateError, TpgateModule } from './index.js';
export type { ScriptType } from './index.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError, fileStore, indexedDbStore, memoryStore } from './index.js';

/**
 * Loads the platform module (tpgate-platform.wasm: the MQTT client plus the ThingsPanel platform role,
 * used by connectPlatform()) once per JS realm; every call returns the same Promise. `locateFile`
 * receives 'tpgate-platform.wasm'; `wasmBinary` must hold that file's bytes.
 */
export function loadTpgatePlatform(options?: LoadOptions): Promise<TpgateModule>;

// ---------------------------------------------------------------------------
// PlatformClient: the ThingsPanel platform side (docs/thingspanel.md#roles)
// ---------------------------------------------------------------------------

/**
 * Which device behind a gateway. An array lists sub-gateway addresses and ends with the sub-device
 * address: ['gateway_001', 'sensor_101'] is sensor_101 behind gateway_001, ['device_001'] a direct
 * sub-device, [] the gateway itself. The object form can also name a sub-gateway itself:
 * {subGateways: ['gateway_001']}.
 */
export type PlatformTarget = string[] | { subGateways?: string[]; subDevice?: string | null };

/** A target as events report it (the gateway client's shape); it can be passed back as a PlatformTarget. */
export interface PlatformTargetInfo {
  /** Sub-gateway addresses, then the sub-device address if any. */
  path: string[];
  subGateways: string[];
  /** Absent when the target is a gateway (the top-level one or a sub-gateway). */
  subDevice?: string;
  /** 'gateway', 'device_001', 'gateway_001/sensor_101'. */
  name: string;
}

export interface PlatformOptions extends ClientOptions {
  /* `keepalive` 1..300 s and a non-empty `clientId` (docs/thingspanel.md#authentication); username `root` is allowed. */
  /** Subscribe under $share/{group}/ so several platform instances share the load. */
  shareGroup?: string;
  /** Ack attribute and event reports (default true). */
  autoAck?: boolean;
  /** Where acks go: 'spec' gateway/.../response (default), 'backend' devices/.../response, or 'both'. */
  ackTopics?: 'spec' | 'backend' | 'both';
  /** ms before a request with no answer rejects with ERR_TIMEOUT (default 10000). */
  requestTimeout?: number;
  /**
   * The gateway's device_number for messages without a broker envelope. A plain broker (mosquitto)
   * adds none and every gateway publishes on the same gateway/telemetry, so such messages can only
   * be attributed to this one gateway; without it they report gateway "" and are not acked.
   */
  defaultGateway?: string;
  /** Events kept per device in the view (default 16). */
  maxRecentEvents?: number;
  /** Envelope device_id -> device_number, for ack topics (an unmapped device_id is used as is). */
  deviceNumbers?: Record<string, string>;
  /**
   * A configurations file's content (docs/configurations.md; with script files: loadConfigurationsFile() from
   * 'tpgate/broker' in Node): each configuration's enabled data scripts run where the platform runs
   * them, for the devices that point at it; its devices' device_id -> device_number feed the acks.
   */
  configurations?: ConfigurationsFile;
  /** Limits of every data script: VM instructions per run (default 1e8) and bytes (default 32 MiB). */
  scriptLimits?: ScriptLimits;
}

export interface ScriptLimits {
  instructions?: number;
  memoryBytes?: number;
}

/** A configurations file (docs/configurations.md): the parts the platform client reads. */
export interface ConfigurationsFile {
  configurations?: Array<{
    id: string;
    scripts?: Partial<Record<ScriptType, { content?: string | null; file?: string | null; enabled?: boolean }>>;
    [field: string]: unknown;
  }>;
  devices?: Array<{ device_id?: string; device_number?: string; configuration?: string; [field: string]: unknown }>;
}

/** A compiled data script: run encodeInp(msg, topic) as often as needed. */
export class DataScript {
  readonly name: string;
  /** Throws ScriptError when the run fails. `input`: text ("0x..." = hex) or bytes. */
  run(input: string | Uint8Array, topic?: string): { output: Uint8Array; text: string };
  /** Bytes the script's Lua state holds. */
  memoryInUse(): number;
  close(): void;
}

/** Compiles a ThingsPanel data script (Lua 5.1, `function encodeInp(msg, topic)`); rejects with ScriptError. */
export function compileScript(source: string, options?: ScriptLimits & { name?: string }): Promise<DataScript>;
/** A script input as the platform's test endpoint reads it: "0x..." is hex, other text UTF-8. */
export function scriptInput(input: string | Uint8Array): Uint8Array;
export const SCRIPT_TYPES: readonly ScriptType[];

export interface TelemetryEvent {
  gateway: string;
  target: PlatformTargetInfo;
  values: Record<string, unknown>;
  /** ms: the record's ts, else the arrival time. */
  ts: number;
}
export interface AttributesEvent extends TelemetryEvent {
  messageId: string;
}
export interface GatewayEventEvent {
  gateway: string;
  target: PlatformTargetInfo;
  method: string;
  params: unknown;
  ts: number;
  messageId: string;
}
export interface StatusEvent {
  deviceId: string;
  online: boolean;
}

/** A gateway's flat response: result 0 is success. */
export interface GatewayResponse {
  /** null when the payload had no numeric result (then it counts as a failure). */
  result: number | null;
  errcode: string;
  message: string;
  /** seconds */
  ts: number;
  method?: string;
}

/** A request answered with success. A failure rejects with ERR_REQUEST_FAILED (PlatformRequestError). */
export interface RequestResult {
  result: 0;
  response: GatewayResponse;
  rttMs: number;
  /** sendAttributeGet: the whole attribute report that answered. */
  report?: unknown;
}

/** The rejection of a request answered with a failure (code 'ERR_REQUEST_FAILED'). */
export interface PlatformRequestError extends TpgateError {
  errcode?: string;
  response?: GatewayResponse;
  rttMs?: number;
}

export interface DeviceView {
  telemetry: Record<string, { value: unknown; ts: number }>;
  attributes: Record<string, { value: unknown; ts: number }>;
  events: { method: string; params: unknown; ts: number }[];
}

export interface PlatformEvents {
  telemetry: (event: TelemetryEvent) => void;
  attributes: (event: AttributesEvent) => void;
  event: (event: GatewayEventEvent) => void;
  status: (event: StatusEvent) => void;
  warning: (warning: { topic: string; gateway: string; message: string }) => void;
  /**
   * ERR_BAD_MESSAGE (a message that could not be used; `topic` says which), ERR_SCRIPT (a ScriptError:
   * an upload data script failed and the message was dropped), or a failed ack publish.
   */
  error: (error: TpgateError & { topic?: string; gateway?: string }) => void;
}

export class PlatformClient {
  /** The MQTT client underneath. */
  readonly client: MqttClient;
  on<E extends keyof PlatformEvents>(event: E, listener: PlatformEvents[E]): this;
  once<E extends keyof PlatformEvents>(event: E, listener: PlatformEvents[E]): this;
  off<E extends keyof PlatformEvents>(event: E, listener: PlatformEvents[E]): this;
  /** gateway/command/{dn}/{mid}; resolves on a success response, rejects ERR_REQUEST_FAILED / ERR_TIMEOUT. */
  sendCommand(dn: string, target: PlatformTarget, method: string, params?: unknown): Promise<RequestResult>;
  /** gateway/attributes/set/{dn}/{mid}; settles like sendCommand. */
  sendAttributeSet(dn: string, target: PlatformTarget, values: Record<string, unknown>): Promise<RequestResult>;
  /** gateway/attributes/get/{dn}; resolves when an attribute report from dn carries every key ([] = any). */
  sendAttributeGet(
    dn: string,
    target: PlatformTarget,
    keys?: string[],
    options?: { shape?: 'spec' | 'keys' },
  ): Promise<RequestResult>;
  /** gateway/telemetry/control/{dn}; no answer exists: resolves once published. */
  sendControl(dn: string, target: PlatformTarget, values: Record<string, unknown>): Promise<void>;
  /** Latest telemetry, attributes and recent events of one device, or null if nothing was heard. */
  device(gateway: string, target?: PlatformTarget): DeviceView | null;
  /** The broker's last devices/status word for deviceId, or null. */
  online(deviceId: string): boolean | null;
  mapDevice(deviceId: string, deviceNumber: string): void;
  /** Sets (compiles) or, with null, removes a configuration's data script; throws ScriptError when it does not compile. */
  setScript(configuration: string, type: ScriptType, source: string | null, limits?: ScriptLimits): void;
  /** Applies a configurations file while running (newly registered devices, changed scripts). */
  applyConfigurations(file: ConfigurationsFile): void;
  /** `device` (device_id or device_number) uses `configuration`'s scripts; null: none. */
  assignConfiguration(device: string, configuration: string | null): void;
  /** Ends the MQTT client; pending requests reject with ERR_CLIENT_CLOSED. */
  end(force?: boolean): Promise<void>;
}

/** Connects as the platform: subscribes the gateway uplink topics (one SUBSCRIBE each) and acks reports. */
export function connectPlatform(url: string, options?: PlatformOptions): Promise<PlatformClient>;
