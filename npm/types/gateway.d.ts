// Types of 'tpgate/gateway': the ThingsPanel gateway client (device side) and
// platform client (platform side), on the gateway module.
import type { ClientOptions, LoadOptions, MqttClient, QoS, TpgateError, TpgateModule } from './index.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, TpgateError } from './index.js';

/**
 * Loads the gateway module (tpgate-gateway.wasm: the MQTT client plus the ThingsPanel gateway and platform
 * roles, used by connectGateway() and connectPlatform()) once per JS realm; every call returns the same
 * Promise. `locateFile` receives 'tpgate-gateway.wasm'; `wasmBinary` must hold that file's bytes.
 */
export function loadTpgateGateway(options?: LoadOptions): Promise<TpgateModule>;

// ---------------------------------------------------------------------------
// GatewayClient: the ThingsPanel gateway (device side) over the client.
// ---------------------------------------------------------------------------

export interface GatewayOptions extends ClientOptions {
  /** The top-level gateway's device_number ({dn} in the topics). Required. */
  deviceNumber: string;
  /*
   * ThingsPanel limits (docs/thingspanel.md#authentication), checked before connecting (ERR_INVALID_OPTION):
   * `keepalive` 1..300 s (default 60); `clientId` non-empty (default `${deviceNumber}-` + 8 random hex
   * digits); `username` is the device's voucher (password optional) and may not be `root` or `plugin`.
   */
  /** ms to wait for the platform's ack of an attribute or event report. Default 10000. */
  ackTimeout?: number;
  /** Sub-gateway levels accepted in and out (a warning past 5). Default 32. */
  maxDepth?: number;
  /** QoS of the gateway's subscriptions and publications. Default 1. */
  gatewayQos?: QoS;
  /** Largest gateway payload accepted or built, in bytes. Default 1 MiB. */
  maxPayloadBytes?: number;
}

/** The device a request is for, seen from the top-level gateway. */
export interface GatewayTarget {
  /** Sub-gateway addresses from the top, then the sub-device address; [] = the top-level gateway. */
  path: string[];
  subGateways: string[];
  /** Absent when the target is a gateway (the top-level one or a sub-gateway). */
  subDevice?: string;
  /** 'gateway', 'sensor_1', 'gateway_001/sensor_101'. */
  name: string;
}

/** Reports: friendly ({gateway, subDevices, subGateways}) or wire-shaped ({gateway_data, ...}). */
export interface GatewayReport {
  gateway?: unknown;
  subDevices?: Record<string, unknown>;
  subGateways?: Record<string, GatewayReport>;
}
export interface GatewayWireReport {
  gateway_data?: unknown;
  sub_device_data?: Record<string, unknown>;
  sub_gateway_data?: Record<string, GatewayWireReport>;
}
export interface ReportAck {
  messageId: string;
  rttMs: number;
  /** The ack's topic family: 'devices/...' (the ThingsPanel backend) or 'gateway/...' (the spec). */
  family: 'devices' | 'gateway';
}

/**
 * Handlers answer one target each: a returned value is a success response, a thrown error (or rejection)
 * a failure with errcode `err.code` (else 'INTERNAL_ERROR') and message `err.message`. A request with no
 * handler is answered with errcode 'NOT_SUPPORTED'. Pass null to remove a handler.
 */
export interface GatewayClient {
  /** The MQTT client underneath. */
  readonly client: MqttClient;
  /** The filters subscribed to, one per SUBSCRIBE. */
  readonly subscriptions: string[];
  onCommand(handler: ((call: { target: GatewayTarget; method: string; params: unknown; messageId: string }) => unknown) | null): this;
  onAttributeSet(handler: ((call: { target: GatewayTarget; values: Record<string, unknown>; messageId: string }) => unknown) | null): this;
  /** Returns the values of the asked keys ([] = every attribute) as an object. */
  onAttributeGet(handler: ((call: { target: GatewayTarget; keys: string[] }) => Record<string, unknown> | Promise<Record<string, unknown>>) | null): this;
  /** Control has no response topic: the result is ignored. */
  onControl(handler: ((call: { target: GatewayTarget; values: Record<string, unknown> }) => unknown) | null): this;
  /** Resolves when published (telemetry has no ack). */
  reportTelemetry(report: GatewayReport | GatewayWireReport): Promise<void>;
  /** Resolves on the platform's ack; rejects ERR_TIMEOUT, ERR_REPORT_REFUSED (with `errcode`), ERR_GATEWAY. */
  reportAttributes(report: GatewayReport | GatewayWireReport): Promise<ReportAck>;
  reportEvent(report: GatewayReport | GatewayWireReport): Promise<ReportAck>;
  /** 'error': a received message refused (ERR_GATEWAY_INPUT) or a publish that failed; 'warning': text. */
  on(event: 'error', listener: (error: TpgateError) => void): this;
  on(event: 'warning', listener: (message: string) => void): this;
  off(event: 'error' | 'warning', listener: (...args: any[]) => void): this;
  /** Ends the client; reports waiting for an ack reject with ERR_CLIENT_CLOSED. */
  end(force?: boolean): Promise<void>;
}

/** Connects as the gateway `deviceNumber`, subscribes to its downlinks and routes them to the handlers. */
export function connectGateway(url: string, options: GatewayOptions): Promise<GatewayClient>;

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
}

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
  /** ERR_BAD_MESSAGE (a message that could not be used; `topic` says which), or a failed ack publish. */
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
  /** Ends the MQTT client; pending requests reject with ERR_CLIENT_CLOSED. */
  end(force?: boolean): Promise<void>;
}

/** Connects as the platform: subscribes the gateway uplink topics (one SUBSCRIBE each) and acks reports. */
export function connectPlatform(url: string, options?: PlatformOptions): Promise<PlatformClient>;
