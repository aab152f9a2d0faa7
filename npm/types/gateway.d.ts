// Types of 'tpgate/gateway': the ThingsPanel gateway client (device side), on
// the gateway module. The platform client is 'tpgate/platform' (platform.d.ts).
import type { ClientOptions, LoadOptions, MqttClient, QoS, TpgateError, TpgateModule } from './index.js';
export { ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, ScenarioError, ScriptError, StoreError, TpgateError, fileStore, indexedDbStore, memoryStore } from './index.js';

/**
 * Loads the gateway module (tpgate-gateway.wasm: the MQTT client plus the ThingsPanel gateway role, used
 * by connectGateway()) once per JS realm; every call returns the same Promise. `locateFile` receives
 * 'tpgate-gateway.wasm'; `wasmBinary` must hold that file's bytes.
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
  /**
   * With a store (docs/sessions.md): attribute and event reports an earlier process sent whose ack had
   * not come, waited for again (`settled` as reportAttributes()/reportEvent() resolve). [] otherwise.
   */
  readonly restoredReports: { messageId: string; what: string; sentAt: number; settled: Promise<ReportAck> }[];
  /** Ends the client; reports waiting for an ack reject with ERR_CLIENT_CLOSED (a store keeps them). */
  end(force?: boolean): Promise<void>;
}

/** Connects as the gateway `deviceNumber`, subscribes to its downlinks and routes them to the handlers. */
export function connectGateway(url: string, options: GatewayOptions): Promise<GatewayClient>;
