// Types of 'tpgate': the MQTT client. First the raw WebAssembly module (the
// Embind objects as registered in bindings/), then the API built on it in JS:
// connect(), typed errors, Promises. The ThingsPanel clients are in
// gateway.d.ts ('tpgate/gateway'), the emulator in emulator.d.ts ('tpgate/emulator').

/**
 * Where and how to get the .wasm. The first call's options win (the module is cached). By default,
 * browsers (and bundlers) compile the bytes the entry embeds (nothing is fetched) and Node reads the
 * package's dist/ folder.
 */
export interface LoadOptions {
  /**
   * Maps the .wasm's file name ('tpgate.wasm' for loadTpgate() and connect(); 'tpgate-gateway.wasm' for
   * loadTpgateGateway() and connectGateway(); 'tpgate-platform.wasm' for loadTpgatePlatform() and
   * connectPlatform(); 'tpgate-emulator.wasm' for
   * loadTpgateEmulator(), createEmulator() and parseScenario()) to a URL to fetch it from (browsers:
   * a CDN, say) or a path to read it from (Node). The package exports the files as 'tpgate/tpgate.wasm',
   * 'tpgate/tpgate-gateway.wasm', 'tpgate/tpgate-platform.wasm' and 'tpgate/tpgate-emulator.wasm'.
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
  /** ERR_REPORT_REFUSED (gateway client): the errcode of the platform's failure ack. */
  readonly errcode?: string;
}
/** Bad options or arguments, rejected before anything is sent. */
export class InvalidOptionError extends TpgateError {}
/** The server refused the connection (CONNACK with a failure reason). */
export class ConnectionRefusedError extends TpgateError {}
/** The client was ended, or its connection failed for good, before the operation completed. */
export class ClientClosedError extends TpgateError {}
/** The peer broke the protocol (malformed packet, bad topic alias, ...); the connection was closed. */
export class ProtocolError extends TpgateError {}
/**
 * A session store that cannot be used (docs/sessions.md): ERR_STORE_CORRUPT, ERR_STORE_VERSION,
 * ERR_STORE_MISMATCH, ERR_STORE_LOCKED, ERR_STORE_READ, ERR_STORE_WRITE.
 */
export class StoreError extends TpgateError {}

/**
 * Where a client's session is kept across restarts (the `store` option, docs/sessions.md). Any object
 * with these methods is one; each may return a Promise. The log's content belongs to tpgate.
 */
export interface SessionStore {
  /** The whole log (empty or null when new). */
  load(): Uint8Array | null | Promise<Uint8Array | null>;
  /** Once it returns (or resolves) `bytes` are kept. */
  append(bytes: Uint8Array): void | Promise<void>;
  /** The log becomes `bytes`, all or nothing. */
  replace(bytes: Uint8Array): void | Promise<void>;
  close?(): void | Promise<void>;
  /** Read the intact entries of a log damaged before its end instead of refusing it. */
  recover?: boolean;
}

export interface FileStoreOptions {
  /**
   * When the log reaches the disk: 'interval' (default) fdatasync every syncInterval ms, 'always'
   * before every write to the socket, 'os' never. A process crash loses nothing in every mode.
   */
  sync?: 'interval' | 'always' | 'os';
  /** ms, default 1000. */
  syncInterval?: number;
  recover?: boolean;
}

/** Node: the session in `dir/session.log` (an append-only log with compaction). Throws in browsers. */
export function fileStore(dir: string, options?: FileStoreOptions): SessionStore & { readonly dir: string; readonly size: number };
/** Browsers: the session in the IndexedDB database `name`. */
export function indexedDbStore(name: string, options?: { durability?: 'default' | 'strict' | 'relaxed'; recover?: boolean }): SessionStore;
/** This realm's memory: survives end() and a new connect() with it, not a restart. */
export function memoryStore(): SessionStore & { readonly size: number };

/** What connect() found in its store. */
export interface RestoredSession {
  /** Operations in flight (with a packet id) and queued. */
  outbound: number;
  queued: number;
  /** Inbound QoS 2 identifiers awaiting PUBREL. */
  inbound: number;
  subscriptions: number;
  /** Bytes of a torn (or, with recover, damaged) tail that were dropped. */
  droppedBytes: number;
  corrupt: boolean;
  clientId: string;
  server: string;
  sessionExpiry: number;
  /** The restored publishes not yet complete, oldest first. */
  messages: { topic: string; payload: Uint8Array; qos: QoS; retain: boolean }[];
  /** What remember() kept. */
  values: Record<string, string>;
}

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
  | 'ERR_STORE_CORRUPT'       // a session store damaged before its end, or not a store (StoreError)
  | 'ERR_STORE_VERSION'       // a session store written by a newer tpgate
  | 'ERR_STORE_MISMATCH'      // a session store of another client id, server or protocol version
  | 'ERR_STORE_LOCKED'        // a session store in use by another client
  | 'ERR_STORE_READ'          // a session store that cannot be read
  | 'ERR_STORE_WRITE'         // a session store that cannot be written (full disk, quota; emitted as 'error')
  | 'ERR_TIMEOUT'             // gateway: no ack for a report within ackTimeout
  | 'ERR_REPORT_REFUSED'      // gateway: the platform acked a report with a failure (`errcode`)
  | 'ERR_GATEWAY'             // gateway: a report or answer the protocol refused (message names the JSON path)
  | 'ERR_GATEWAY_INPUT'       // gateway: a received message was refused (emitted as 'error')
  | 'ERR_REQUEST_FAILED'      // platform: a request was answered with a failure response (`errcode`, `response`)
  | 'ERR_BAD_MESSAGE'         // platform: a received message could not be used (emitted as 'error', `topic`)
  | 'ERR_SCRIPT'              // a data script did not compile or failed (ScriptError)
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
  /**
   * Keeps the session across restarts of the client (docs/sessions.md): fileStore(dir) in Node,
   * indexedDbStore(name) in browsers. Needs a fixed clientId; use with clean: false.
   */
  store?: SessionStore;
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
  /** The store lost the last bytes of its log (a crash during a write): what they protected was never sent. */
  warning: (message: string) => void;
  /** The store could be written again after ERR_STORE_WRITE. */
  storeRecovered: () => void;
}

export interface MqttClient {
  readonly clientId: string;
  readonly connected: boolean;
  readonly protocolVersion: ProtocolVersion;
  /** With a store: what connect() found in it; else null. */
  readonly restored: RestoredSession | null;
  /** Publishes, subscribes and unsubscribes not yet complete (restored ones included). */
  readonly pending: number;
  /** Resolves once everything called so far is in the store (at once without one); waits while it cannot be written. */
  stored(): Promise<void>;
  /**
   * Keeps a value in the store with the session, in call order with the operations (restored.values
   * after a restart): a value is there after a crash only if every publish called before it is too.
   * Without a store: nothing.
   */
  remember(key: string, value: string): void;
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

/**
 * A data script (docs/thingspanel.md#data-scripts) that did not compile or failed to run (code
 * 'ERR_SCRIPT'). Beside a platform client: `scriptType`, `configuration` and, for an upload script,
 * `gateway` and `topic` (the message was dropped).
 */
export class ScriptError extends TpgateError {
  readonly kind: 'syntax' | 'runtime' | 'no-function' | 'bad-result' | 'budget' | 'memory' | 'argument';
  /** The script's line Lua named; 0 when none applies. */
  readonly line: number;
  /** Lua's own text: "up.lua:3: attempt to index local 'data' (a nil value)". */
  readonly luaMessage: string;
  readonly scriptType?: ScriptType;
  readonly configuration?: string;
  readonly gateway?: string;
  readonly topic?: string;
}

/** The platform's data script types (A-F): what a configuration's script converts. */
export type ScriptType = 'telemetry_up' | 'telemetry_down' | 'attributes_up' | 'attributes_down' | 'command_down' | 'event_up';

/** A scenario that does not fit docs/scenario.md; rejected before anything connects (code 'ERR_INVALID_SCENARIO'). */
export class ScenarioError extends TpgateError {
  /** The JSON path at fault: '$.gateway.telemetry.t.type'; '$' for the whole text (e.g. invalid JSON). */
  readonly path: string;
  /** The shape wanted there: 'one of "constant", "uniform", ...'. */
  readonly expected: string;
}

