// tpgate's types: first the raw WebAssembly module (the Embind objects as
// registered in bindings/), then the API built on it in JS: connect(), typed
// errors, Promises, the gateway and platform clients, the emulator.

/** Where and how to get the .wasm. The first call's options win (the module is cached). */
export interface LoadOptions {
  /**
   * Maps the .wasm's file name ('tpgate.wasm' for loadTpgate() and connect(); 'tpgate-gateway.wasm' for
   * loadTpgateGateway(), connectGateway() and connectPlatform(); 'tpgate-emulator.wasm' for
   * loadTpgateEmulator(), createEmulator() and parseScenario()) to the URL or path to load it from.
   * Default: beside the package's JS.
   */
  locateFile?: (file: string) => string | URL;
  /** The .wasm bytes, when the caller already has them (nothing is fetched). */
  wasmBinary?: ArrayBuffer | Uint8Array;
}

/**
 * Loads the MQTT-only module (tpgate.wasm, used by connect()) once per JS realm; every call returns the
 * same Promise. A failed load may be retried.
 */
export function loadTpgate(options?: LoadOptions): Promise<TpgateModule>;

/**
 * Loads the gateway module (tpgate-gateway.wasm: the MQTT client plus the ThingsPanel gateway and platform
 * roles, used by connectGateway() and connectPlatform()) once per JS realm; every call returns the same
 * Promise. `locateFile` receives 'tpgate-gateway.wasm'; `wasmBinary` must hold that file's bytes.
 */
export function loadTpgateGateway(options?: LoadOptions): Promise<TpgateModule>;

export type ProtocolVersion = 4 | 5;
export type QoS = 0 | 1 | 2;
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** An error as a value: `code` is the MQTT 5 reason code byte, `reason` its name. */
export interface ErrorInfo {
  code: number;
  reason: string;
  message: string;
}
export interface Failure extends ErrorInfo {
  ok: false;
}
export type Outcome<T extends object = {}> = ({ ok: true } & T) | Failure;

/** MQTT 5 properties, camelCase of the spec names; absent = not sent. */
export interface Properties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: BytesLike;
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: BytesLike;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: number;
  /** In order; names may repeat. Received properties always have this shape (see OutgoingProperties for what you may send). */
  userProperties?: [string, string][];
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifierAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

/**
 * Properties you send (connect, will, publish, subscribe, unsubscribe). `userProperties` also takes
 * the MQTT.js shape, an object: `{ k: 'v', tags: ['a', 'b'] }` (an array value = the name repeated,
 * in array order). The pair form `[['k', 'v'], ...]` keeps the order across names; received
 * properties always come in the pair form.
 */
export interface OutgoingProperties extends Omit<Properties, 'userProperties'> {
  userProperties?: [string, string][] | Record<string, string | string[]>;
}

export interface Will {
  topic: string;
  payload?: BytesLike;
  qos?: QoS;
  retain?: boolean;
  properties?: Properties;
}

export interface Subscription {
  filter: string;
  qos?: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
}

/** Decoded packets carry every field; when encoding, omitted fields take the defaults. */
export type Packet =
  | { type: 'connect'; version?: ProtocolVersion; cleanStart?: boolean; keepAlive?: number; clientId?: string;
      will?: Will; username?: string; password?: BytesLike; properties?: Properties }
  | { type: 'connack'; sessionPresent?: boolean; reasonCode?: number; properties?: Properties }
  | PublishPacket
  | { type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'; packetId?: number; reasonCode?: number; properties?: Properties }
  | { type: 'subscribe'; packetId?: number; properties?: Properties; subscriptions?: (Subscription | string)[] }
  | { type: 'suback' | 'unsuback'; packetId?: number; properties?: Properties; reasonCodes?: number[] }
  | { type: 'unsubscribe'; packetId?: number; properties?: Properties; filters?: string[] }
  | { type: 'pingreq' | 'pingresp' }
  | { type: 'disconnect' | 'auth'; reasonCode?: number; properties?: Properties };

export interface PublishPacket {
  type: 'publish';
  topic: string;
  payload?: BytesLike;
  qos?: QoS;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
  properties?: Properties;
}

export interface ReceivedPublish {
  type: 'publish';
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  packetId: number;
  properties: Properties;
}

export interface SessionOptions {
  version?: ProtocolVersion;
  clientId?: string;
  cleanStart?: boolean;
  /** Seconds; 0 = off. */
  keepAlive?: number;
  username?: string;
  password?: BytesLike;
  will?: Will;
  /** v5 CONNECT properties; the session enforces the limits it announces. */
  properties?: Properties;
  /** Operations waiting for a connection or for room under Receive Maximum; past it, QuotaExceeded. */
  maxQueued?: number;
  connectTimeout?: number;
  pingTimeout?: number;
  /** Exponential backoff with full jitter, in ms. */
  reconnect?: { enabled?: boolean; minDelay?: number; maxDelay?: number };
  randomSeed?: number;
  autoTopicAlias?: boolean;
  resubscribe?: boolean;
}

export type SessionEvent =
  | { type: 'connected'; sessionPresent: boolean; connack: { type: 'connack'; sessionPresent: boolean; reasonCode: number; properties: Properties } }
  | { type: 'message'; publish: ReceivedPublish }
  | { type: 'publishComplete'; token: number; qos: QoS; packetId: number; reasonCode: number; properties: Properties }
  | { type: 'subscribeComplete'; token: number; suback: { type: 'suback'; packetId: number; reasonCodes: number[]; properties: Properties } }
  | { type: 'unsubscribeComplete'; token: number; unsuback: { type: 'unsuback'; packetId: number; reasonCodes: number[]; properties: Properties } }
  | { type: 'operationFailed'; token: number; error: ErrorInfo }
  | { type: 'disconnected'; error: ErrorInfo; byServer: boolean; properties: Properties; reconnectAt?: number }
  | { type: 'auth'; auth: { type: 'auth'; reasonCode: number; properties: Properties } }
  | { type: 'error'; error: ErrorInfo };

/** What the host must do after a call: write `bytes`, then open/close the transport, handle `events`, call tick() at `deadline`. */
export interface SessionOutput {
  /** Copied out of the wasm heap: safe to keep. */
  bytes: Uint8Array;
  events: SessionEvent[];
  openTransport: boolean;
  closeTransport: boolean;
  /** When to call tick(now), in the same clock as `now`; -1 = no timer. */
  deadline: number;
}

export type SessionState =
  | 'idle' | 'connecting' | 'awaitingConnAck' | 'connected' | 'waitingToReconnect' | 'disconnecting' | 'closed';

/**
 * A sans-I/O MQTT client session. Every `now` is milliseconds on the host's
 * monotonic clock. Call takeOutput() after every call. delete() frees it.
 */
export interface ClientSession {
  /** null, or why the options were refused (the session then does nothing). */
  optionsError(): Failure | null;
  start(now: number): void;
  transportOpen(now: number): void;
  /** One received frame/chunk; any chunking of the stream. */
  receive(bytes: BytesLike, now: number): Outcome;
  transportClosed(now: number, why: string | undefined): void;
  tick(now: number): void;
  /** Completes later with a publishComplete (or operationFailed) event carrying the token. */
  publish(message: Omit<PublishPacket, 'type'>, now: number): Outcome<{ token: number }>;
  subscribe(subscriptions: (Subscription | string)[], properties: Properties | undefined, now: number): Outcome<{ token: number }>;
  unsubscribe(filters: string[], properties: Properties | undefined, now: number): Outcome<{ token: number }>;
  auth(packet: { reasonCode?: number; properties?: Properties }, now: number): Outcome;
  /** Sends DISCONNECT, asks the host to close, never reconnects. */
  disconnect(now: number, options: { reasonCode?: number; properties?: Properties } | undefined): Outcome;
  takeOutput(): SessionOutput;
  deadline(): number;
  hasOutput(): boolean;
  state(): SessionState;
  inflightCount(): number;
  queuedCount(): number;
  /**
   * Hot path: the whole output of one drain as one frame in the module's heap;
   * returns its address. Laid out as bindings/session_packed.hpp describes
   * (24-byte header with flags, bytes length, deadline and the frame's length;
   * message / publishComplete / other records; then the bytes to write). Valid
   * until the next call into the module: copy it out at once (packed.js
   * takeFrame does). Use instead of takeOutput(), not together with it.
   */
  takeFrame(): number;
  /**
   * The session's address in the module's heap, for the plain exports that
   * npm/src/packed.js calls instead of takeFrame(), receiveScratch() and
   * publishScratch() (same behaviour, no Embind invoker).
   */
  address(): number;
  /** The side values (properties objects and other events) of the last takeFrame(), or undefined. */
  takeSide(): unknown[] | undefined;
  /** Hot path: `length` received bytes that the host copied to reserveScratch(). */
  receiveScratch(length: number, now: number): void;
  /**
   * Hot path: a PUBLISH without properties whose topic (UTF-8, `topicLength`
   * bytes) and payload (`payloadLength` bytes) the host copied to
   * reserveScratch(), back to back. Returns the token, or 0 (see lastFailure()).
   */
  publishScratch(topicLength: number, payloadLength: number, qos: QoS, retain: boolean, now: number): number;
  /** Why the last publishScratch() returned 0. */
  lastFailure(): Failure | null;
  /** Frees the C++ session. */
  delete(): void;
}

/** Incremental decoder: feed any chunking of a stream. delete() frees it. */
export interface Decoder {
  optionsError(): Failure | null;
  /** Every packet the chunk completes; on a malformed stream, ok: false (with the packets before the error). */
  feed(bytes: BytesLike): ({ ok: true } | Failure) & { packets: Packet[] };
  /** Forget buffered bytes and any error (a new connection). */
  reset(): void;
  /** Bytes fed but not yet decoded. */
  buffered(): number;
  delete(): void;
}

export interface TpgateModule {
  ClientSession: new (options: SessionOptions) => ClientSession;
  Decoder: new (options?: { version?: ProtocolVersion; role?: 'any' | 'client' | 'server'; maxPacketSize?: number }) => Decoder;
  encodePacket(packet: Packet, version: ProtocolVersion): Outcome<{ bytes: Uint8Array }>;
  /**
   * The module-wide scratch area for the hot paths: at least `size` bytes at
   * the returned address of HEAPU8, valid until the next call into the module.
   */
  reserveScratch(size: number): number;
  /** The wasm heap. Growing memory replaces it: read it again after any call into the module. */
  readonly HEAPU8: Uint8Array;
}

// ---------------------------------------------------------------------------
// The client: MQTT over WebSocket (browser, Node) and TCP/TLS (Node).
// ---------------------------------------------------------------------------

/** Every error tpgate reports. `code` is stable; `reasonCode` is the MQTT 5 reason byte when one applies. */
export class TpgateError extends Error {
  readonly code: TpgateErrorCode;
  readonly reasonCode?: number;
  /** The option at fault, for ERR_INVALID_OPTION ("qos", "will.topic", "url", ...). */
  readonly option?: string;
  /** ERR_SUBSCRIBE_FAILED: the SUBACK's answer per filter. */
  readonly granted?: Granted[];
  /** ERR_BAD_MESSAGE (platform client): the topic and sender of the message that could not be used. */
  readonly topic?: string;
  readonly gateway?: string;
  /** ERR_BAD_MESSAGE: where in the payload ("sub_device_data.s1.t"), when the payload was at fault. */
  readonly path?: string;
}
/** Bad options or arguments, rejected before anything is sent. */
export class InvalidOptionError extends TpgateError {}
/** The server refused the connection (CONNACK with a failure reason). */
export class ConnectionRefusedError extends TpgateError {}
/** The client was ended, or its connection failed for good, before the operation completed. */
export class ClientClosedError extends TpgateError {}
/** The peer broke the protocol (malformed packet, bad topic alias, ...); the connection was closed. */
export class ProtocolError extends TpgateError {}

export type TpgateErrorCode =
  | 'ERR_INVALID_OPTION'      // an option or argument is wrong; `option` names it
  | 'ERR_CONNECTION_REFUSED'  // CONNACK refusal; reasonCode says why
  | 'ERR_CONNECT_FAILED'      // the first connection could not be made (transport error, timeout)
  | 'ERR_CLIENT_CLOSED'       // end() was called or the client stopped for good
  | 'ERR_QUEUE_FULL'          // more operations waiting than `maxQueued`
  | 'ERR_PACKET_TOO_LARGE'    // above the server's Maximum Packet Size
  | 'ERR_NOT_SUPPORTED'       // the server does not support this (QoS, retain, wildcards, shared subs)
  | 'ERR_PUBLISH_FAILED'      // PUBACK/PUBREC with a failure reason code
  | 'ERR_SUBSCRIBE_FAILED'    // every filter of a SUBSCRIBE was refused
  | 'ERR_PROTOCOL'            // the peer broke the protocol
  | 'ERR_TRANSPORT'           // the socket failed
  | 'ERR_KEEPALIVE_TIMEOUT'   // no PINGRESP in time
  | 'ERR_SERVER_DISCONNECT'   // the server sent DISCONNECT
  | 'ERR_WASM_LOAD'           // the .wasm could not be loaded
  | 'ERR_TIMEOUT'             // gateway: no ack for a report within ackTimeout
  | 'ERR_REPORT_REFUSED'      // gateway: the platform acked a report with a failure (`errcode`)
  | 'ERR_GATEWAY'             // gateway: a report or answer the protocol refused (message names the JSON path)
  | 'ERR_GATEWAY_INPUT'       // gateway: a received message was refused (emitted as 'error')
  | 'ERR_REQUEST_FAILED'      // platform: a request was answered with a failure response (`errcode`, `response`)
  | 'ERR_BAD_MESSAGE'         // platform: a received message could not be used (emitted as 'error', `topic`)
  | 'ERR_INVALID_SCENARIO'    // emulator: the scenario does not fit docs/scenario.md (ScenarioError: path, expected)
  | 'ERR_EMULATOR_STARTED'    // emulator: start() on an emulator already started
  | 'ERR_EMULATOR_STOPPED';   // emulator: used after stop()

export interface ClientOptions extends LoadOptions {
  /** Default: "tpgate_" + 8 random hex digits. */
  clientId?: string;
  username?: string;
  password?: string | Uint8Array;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5.0. Default 5. */
  protocolVersion?: ProtocolVersion;
  /** Seconds; 0 = off. Default 60. */
  keepalive?: number;
  /** Clean start / clean session. Default true. */
  clean?: boolean;
  /** v5 Session Expiry Interval in seconds (shortcut for properties.sessionExpiryInterval). */
  sessionExpiryInterval?: number;
  will?: { topic: string; payload?: string | Uint8Array; qos?: QoS; retain?: boolean; properties?: OutgoingProperties };
  /** v5 CONNECT properties. */
  properties?: OutgoingProperties;
  /** Reconnect with exponential backoff and full jitter (ms); false = never. Default { minDelay: 500, maxDelay: 30000 }. */
  reconnect?: false | { minDelay?: number; maxDelay?: number };
  /** ms from opening the transport to CONNACK. Default 30000. */
  connectTimeout?: number;
  /** Operations waiting for a connection or for the server's Receive Maximum. Default 10000. */
  maxQueued?: number;
  /** v5: give repeated topics aliases up to the server's Topic Alias Maximum. Default true. */
  topicAliases?: boolean;
  /** Resubscribe after a reconnect that found no session. Default true. */
  resubscribe?: boolean;
  /** WebSocket subprotocols. Default ['mqtt']. */
  wsProtocols?: string[];
  /** Node, mqtts:// and wss://: options passed to tls.connect / the ws client (ca, cert, key, rejectUnauthorized, ...). */
  tls?: Record<string, unknown>;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** v5 PUBLISH properties (userProperties, messageExpiryInterval, responseTopic, correlationData, contentType, ...). */
  properties?: OutgoingProperties;
}

export interface PublishResult {
  qos: QoS;
  /** 0 for QoS 0. */
  packetId: number;
  /** v5 reason code of PUBACK/PUBCOMP (0 for QoS 0 and 3.1.1); below 0x80 = success. */
  reasonCode: number;
  properties: Properties;
}

export interface SubscribeOptions {
  qos?: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
  /** v5 SUBSCRIBE properties (subscriptionIdentifiers: [n], userProperties). */
  properties?: OutgoingProperties;
}

export interface Granted {
  topic: string;
  /** Granted QoS, or the failure reason code (>= 0x80). */
  qos: number;
}

/** A received message. */
export interface Message {
  topic: string;
  /**
   * May be a view into a larger buffer shared by the messages of one socket
   * read: use payload.byteOffset/byteLength (or copy with slice()) rather than
   * payload.buffer alone.
   */
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Shared and frozen when the message had none. */
  properties: Properties;
  /** 0 for QoS 0. */
  packetId: number;
}

export interface ConnackInfo {
  sessionPresent: boolean;
  reasonCode: number;
  properties: Properties;
}

export interface ClientEvents {
  /**
   * Every successful CONNACK (first connect and each reconnect). The first one
   * is emitted a task after connect() resolves, so a listener attached right
   * after `await connect()` sees it; messages arriving with that CONNACK wait
   * for it too.
   */
  connect: (connack: ConnackInfo) => void;
  /** A reconnect attempt starts (a new transport is being opened). */
  reconnect: () => void;
  /** The connection went down; the client will reconnect unless it was ended. */
  offline: (error: TpgateError) => void;
  /** The transport closed. */
  close: () => void;
  error: (error: TpgateError) => void;
  message: (topic: string, payload: Uint8Array, packet: Message) => void;
}

export interface MqttClient {
  readonly clientId: string;
  readonly connected: boolean;
  readonly protocolVersion: ProtocolVersion;
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this;
  once<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this;
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this;
  /** Resolves when the server acknowledged it (QoS 1/2) or it was written (QoS 0). */
  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions): Promise<PublishResult>;
  /** Resolves with the granted QoS per filter; rejects (ERR_SUBSCRIBE_FAILED) only when every filter was refused. */
  subscribe(filter: string | string[] | Record<string, SubscribeOptions>, options?: SubscribeOptions): Promise<Granted[]>;
  unsubscribe(filter: string | string[], options?: { properties?: OutgoingProperties }): Promise<void>;
  /** Messages whose topic matches `filter` (default '#'), as an async iterator; ends when the client ends. */
  messages(filter?: string): AsyncIterableIterator<Message>;
  /** Sends DISCONNECT and closes; pending operations reject with ClientClosedError. `force` skips DISCONNECT. */
  end(force?: boolean): Promise<void>;
}

/**
 * Connects to `url` (ws://, wss://, and in Node mqtt://, mqtts://, tcp://, tls://). Resolves after the
 * first CONNACK; rejects when the first connection fails (ConnectionRefusedError, ERR_CONNECT_FAILED).
 * Later connection losses reconnect automatically.
 */
export function connect(url: string, options?: ClientOptions): Promise<MqttClient>;

/**
 * A matcher for an MQTT topic filter, as messages() matches: '+' one level, '#' the rest (the parent
 * level too), a topic starting with '$' not matched by a leading wildcard; "$share/group/f" matches
 * like "f". A filter without wildcards matches that topic only. Plain JS: loads no module.
 */
export function topicMatcher(filter: string): (topic: string) => boolean;

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

/** ERR_REPORT_REFUSED: the errcode of the platform's failure ack. */
export interface TpgateError {
  readonly errcode?: string;
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

// ---------------------------------------------------------------------------
// The emulator: fleets of virtual ThingsPanel gateways (docs/scenario.md).
// ---------------------------------------------------------------------------

/**
 * Loads the emulator module (tpgate-emulator.wasm: MQTT, the gateway role and the virtual gateway
 * model, used by createEmulator() and parseScenario()) once per JS realm. `locateFile` receives
 * 'tpgate-emulator.wasm'.
 */
export function loadTpgateEmulator(options?: LoadOptions): Promise<unknown>;

/** A scenario that does not fit docs/scenario.md; rejected before anything connects (code 'ERR_INVALID_SCENARIO'). */
export class ScenarioError extends TpgateError {
  /** The JSON path at fault: '$.gateway.telemetry.t.type'; '$' for the whole text (e.g. invalid JSON). */
  readonly path: string;
  /** The shape wanted there: 'one of "constant", "uniform", ...'. */
  readonly expected: string;
}

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
}

/** Counters of a fleet. Totals since start; *_per_s and percentiles over the window since the previous stats() call. */
export interface EmulatorStats {
  gateways: number;
  /** Gateways with a CONNACK now. */
  connected: number;
  /** Uplinks made: sent, or queued while offline (see queued). */
  published: number;
  /** Uplinks waiting in the gateways' offline buffers now. */
  queued: number;
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
  errors: number;
  reconnects: number;
  /** Uplinks dropped past offline_buffer. */
  dropped: number;
  bytes_out: number;
  bytes_in: number;
  /** PUBACK latency, ms; null when nothing was acked in the window. */
  ack_p50_ms: number | null;
  ack_p99_ms: number | null;
  /** Latency of the platform's report acks, ms. */
  report_ack_p50_ms: number | null;
  report_ack_p99_ms: number | null;
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
  on<E extends keyof EmulatorEvents>(event: E, listener: EmulatorEvents[E]): this;
  once<E extends keyof EmulatorEvents>(event: E, listener: EmulatorEvents[E]): this;
  off<E extends keyof EmulatorEvents>(event: E, listener: EmulatorEvents[E]): this;
  /** Gateway `index` (0-based, local to this process). */
  gateway(index: number): EmulatedGateway;
  /** Starts every gateway; resolves at once (transports keep opening, connectConcurrency at a time). */
  start(): Promise<void>;
  /** Resolves when `count` gateways (default all) are connected; rejects ERR_TIMEOUT. */
  waitConnected(count?: number, options?: { timeout?: number; interval?: number }): Promise<unknown>;
  /** Counters and rates (see EmulatorStats); after stop(), the final stats. */
  stats(): EmulatorStats;
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
