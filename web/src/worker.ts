// The platform worker: runs tpgate's platform client (MQTT over the worker's
// WebSocket, the ThingsPanel protocol in the wasm core) off the page's thread,
// keeps the model (gateways, device trees, latest values, counts, ring
// buffers of points, events and raw messages) and posts the page a batch at
// most every FLUSH_MS with only what it shows.
import { compileScript, connectPlatform, scriptInput } from 'tpgate/platform';
import type { PublishOptions, ScriptError, TpgateError } from 'tpgate';
import type { PlatformClient, PlatformTarget, PlatformTargetInfo } from 'tpgate/platform';
import {
  FLUSH_MS,
  gatewayStatus,
  naturalKey,
  nodeId,
  type Batch,
  type FleetSummary,
  type GatewayRow,
  type InspectedMessage,
  type OverviewView,
  type Status,
  type ConnectOptions,
  type DeviceDetail,
  type EventEntry,
  type FromWorker,
  type NodeInfo,
  type NodeKind,
  type NodeRef,
  type RequestMessage,
  type RequestResultMessage,
  SCRIPT_TYPES,
  type ScriptConfiguration,
  type ScriptFailure,
  type ScriptType,
  type ToWorker,
  type TrafficRow,
} from './protocol';
import { PointBudget, PointRing, Ring } from './ring';
import { describe, envelopeOf, fromBase64, ndjsonLine, previewText, topicMatcher, type RawMessage } from './traffic';

// Memory bounds: everything the worker keeps grows to these and no further
// (the tree itself is as large as the gateways' topology).
export const LIMITS = {
  rawMessages: 10_000,
  eventsPerDevice: 200,
  pointsPerKey: 600,
  /** Points of all series together (16 bytes each): a big fleet keeps fewer per key. */
  pointsTotal: 2_000_000,
  seriesKeysPerDevice: 16,
  keysPerDevice: 256,
  trafficRowsPerBatch: 100,
  previewChars: 240,
  eventsShown: 100,
  /** Seconds of the fleet's rate chart. */
  rateSeconds: 600,
  /** Largest payload the inspector is sent (the rest is cut, and it says so). */
  inspectBytes: 1 << 20,
  /** Rows of the overview's table sent at once (what the page can show, plus a margin). */
  overviewRows: 200,
};

/** What the overview counts for a top-level gateway. */
interface GatewayStats {
  /** Its messages: uplinks that named it or a device below it. */
  messages: number;
  atTick: number;
  /** Messages over the last full second. */
  rate: number;
  /** Attribute and event reports received, and the acks the platform client sent for them. */
  reports: number;
  acked: number;
  subDevices: number;
  lastRequest: { rttMs: number | null; ok: boolean; text: string } | null;
  sortKey: string;
}

interface Scope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as Scope;
const post = (message: FromWorker, transfer?: Transferable[]) => scope.postMessage(message, transfer);

interface DevNode {
  info: NodeInfo;
  telemetry: Map<string, { value: unknown; ts: number }>;
  attributes: Map<string, { value: unknown; ts: number }>;
  events: Ring<EventEntry>;
  series: Map<string, PointRing>;
  /** The raw message its last telemetry came in (for the inspector). */
  lastTelemetry: RawMessage | null;
  /** Top-level gateways only. */
  gw: GatewayStats | null;
  /** Children by kind and address ('s' or 'd', NUL, address): the hot path finds a node without building its id. */
  kids: Map<string, DevNode> | null;
}

// --- the model --------------------------------------------------------------------

const nodes = new Map<string, DevNode>();
const gatewayById = new Map<string, DevNode>();
// Tree rows that changed since the last batch. The page is sent those it must
// know at once (new ones, a gateway's status word) and, of the rest, only the
// rows it shows (`watched`: the tree's rows in view and the selected node);
// a row that comes into view is sent then. A busy fleet of 10,000 gateways
// changes 50,000 rows a second; the page draws a few dozen.
const changed = new Set<string>();
const urgent = new Set<string>();
let watched = new Set<string>();
let resetTree = true;
let selected: string | null = null;
let detailDirty = false;
const raw = new Ring<RawMessage>(LIMITS.rawMessages);
const pointBudget = new PointBudget(LIMITS.pointsTotal);
let seq = 0;
let trafficCursor = 0;
let trafficFilter = topicMatcher('');
let trafficPaused = false;
let trafficRefill = false; // send the newest matching rows from the ring (a new filter, the view shown again)
let stats = { received: 0, sent: 0, errors: 0, requests: 0, failedRequests: 0 };
/** The top-level gateways, in the order first seen. */
let gateways: DevNode[] = [];
/** device_number -> device_id, for acks (their topics name the device_number). */
let idOfNumber = new Map<string, string>();
// Set while the platform client handles a message (its events come first,
// then the raw 'message' listener): which gateways it named, which nodes
// got telemetry.
const heard = new Set<DevNode>();
const telemetryOf: DevNode[] = [];
const reportedNow = new Set<string>();
// The fleet's rate chart: one point per second.
const series = { t: [] as number[], in: [] as number[], out: [] as number[] };
let tick = { at: 0, received: 0, sent: 0 };
let seriesDirty = false;
// The overview's table, as the page last asked for it.
let view: OverviewView = { visible: false, sort: 'name', descending: false, filter: '', status: 'all', first: 0, count: 50 };
let viewChanged = false;
let sorted: DevNode[] = [];
let sortedAt = 0;
const recent: { at: number; received: number }[] = []; // (time, received) of the flushes of the last second: the rate
let notices: string[] = [];
let lastBatchAt = 0;

let pf: PlatformClient | null = null;
let connection = 0; // bumps on each connect, so late events of an old client are ignored
let options: ConnectOptions | null = null;

function resetModel(): void {
  nodes.clear();
  gatewayById.clear();
  changed.clear();
  urgent.clear();
  resetTree = true;
  selected = null;
  detailDirty = false;
  raw.clear();
  pointBudget.reset();
  seq = 0;
  trafficCursor = 0;
  stats = { received: 0, sent: 0, errors: 0, requests: 0, failedRequests: 0 };
  recent.length = 0;
  notices = [];
  gateways = [];
  heard.clear();
  telemetryOf.length = 0;
  series.t.length = series.in.length = series.out.length = 0;
  tick = { at: 0, received: 0, sent: 0 };
  seriesDirty = true;
  sorted = [];
  viewChanged = true;
}

function dnOf(gateway: string): string {
  return options?.deviceNumbers?.[gateway] ?? gateway;
}

function ensure(ref: NodeRef, parent: string | null): DevNode {
  const id = nodeId(ref);
  let node = nodes.get(id);
  if (!node) {
    const name = ref.path.length === 0 ? dnOf(ref.gateway) : ref.path[ref.path.length - 1];
    node = {
      info: { id, parent, gateway: ref.gateway, kind: ref.kind, path: ref.path, name, count: 0, lastSeen: 0, status: null },
      telemetry: new Map(),
      attributes: new Map(),
      events: new Ring(LIMITS.eventsPerDevice),
      series: new Map(),
      lastTelemetry: null,
      gw: null,
      kids: null,
    };
    if (ref.kind === 'gateway') {
      node.gw = { messages: 0, atTick: 0, rate: 0, reports: 0, acked: 0, subDevices: 0, lastRequest: null, sortKey: naturalKey(name) };
      gateways.push(node);
      gatewayById.set(ref.gateway, node);
    } else {
      const top = gatewayById.get(ref.gateway);
      if (top?.gw) top.gw.subDevices++;
    }
    nodes.set(id, node);
    changed.add(id);
    urgent.add(id);
  }
  return node;
}

function gatewayNode(gateway: string): DevNode | undefined {
  return gatewayById.get(gateway);
}

/** The child of `parent` at `address` (created when new). */
function child(parent: DevNode, kind: 'subgateway' | 'device', address: string, path: () => string[]): DevNode {
  const key = `${kind === 'device' ? 'd' : 's'}\u0000${address}`;
  let node = parent.kids?.get(key);
  if (node === undefined) {
    node = ensure({ gateway: parent.info.gateway, kind, path: path() }, parent.info.id);
    (parent.kids ??= new Map()).set(key, node);
  }
  return node;
}

/** The node a target names, created with its ancestors; every one of them was seen now. */
function touch(gateway: string, target: PlatformTargetInfo, now: number): DevNode {
  let node = gatewayById.get(gateway) ?? ensure({ gateway, kind: 'gateway', path: [] }, null);
  heard.add(node);
  node.info.lastSeen = now;
  changed.add(node.info.id);
  const subGateways = target.subGateways ?? [];
  for (let i = 0; i < subGateways.length; i++) {
    node = child(node, 'subgateway', subGateways[i], () => subGateways.slice(0, i + 1));
    node.info.lastSeen = now;
    changed.add(node.info.id);
  }
  if (target.subDevice !== undefined) {
    const address = target.subDevice;
    node = child(node, 'device', address, () => [...subGateways, address]);
    node.info.lastSeen = now;
    changed.add(node.info.id);
  }
  node.info.count++;
  if (node.info.id === selected) detailDirty = true;
  return node;
}

function putValues(node: DevNode, into: Map<string, { value: unknown; ts: number }>, values: unknown, ts: number, chart: boolean): void {
  if (values === null || typeof values !== 'object') return;
  for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
    if (!into.has(key) && into.size >= LIMITS.keysPerDevice) continue;
    into.set(key, { value, ts });
    if (!chart || typeof value !== 'number' || !Number.isFinite(value)) continue;
    let points = node.series.get(key);
    if (!points) {
      if (node.series.size >= LIMITS.seriesKeysPerDevice) continue;
      points = new PointRing(LIMITS.pointsPerKey, pointBudget);
      node.series.set(key, points);
    }
    points.push(ts / 1000, value);
  }
}

function notice(text: string): void {
  stats.errors++;
  if (notices.length < 20) notices.push(text);
}

// --- the platform client ----------------------------------------------------------

function record(direction: 'in' | 'out', topic: string, payload: Uint8Array, qos: number, retain: boolean): RawMessage {
  // The client's payload may be a view into a buffer shared by one socket read: copy it.
  const m: RawMessage = { seq: ++seq, ts: Date.now(), direction, topic, payload: payload.slice(), qos, retain };
  raw.push(m);
  return m;
}

// Acks name the gateway's device_number: ack topics of the family the client sends (one per report).
const ACK_TOPIC = /^(gateway|devices)\/(?:attributes|event)\/response\/([^/]+)\/[^/]+$/;

function countAck(topic: string): void {
  const m = ACK_TOPIC.exec(topic);
  if (!m) return;
  if (options?.ackTopics === 'both' && m[1] !== 'gateway') return;
  const node = gatewayNode(idOfNumber.get(m[2]) ?? m[2]);
  if (node?.gw) node.gw.acked++;
}

async function connect(opts: ConnectOptions, note?: string): Promise<void> {
  await disconnect();
  resetModel();
  if (note) notice(note);
  options = opts;
  idOfNumber = new Map(Object.entries(opts.deviceNumbers ?? {}).map(([id, dn]) => [dn, id]));
  const mine = ++connection;
  post({ type: 'state', state: 'connecting', message: opts.url });
  const clientOptions: Parameters<typeof connectPlatform>[1] = {
    protocolVersion: opts.protocolVersion,
    reconnect: { minDelay: 500, maxDelay: 10_000 },
    connectTimeout: 10_000,
  };
  if (opts.clientId) clientOptions.clientId = opts.clientId;
  if (opts.ackTopics) clientOptions.ackTopics = opts.ackTopics;
  if (opts.username) clientOptions.username = opts.username;
  if (opts.password) clientOptions.password = opts.password;
  if (opts.defaultGateway) clientOptions.defaultGateway = opts.defaultGateway;
  if (opts.deviceNumbers && Object.keys(opts.deviceNumbers).length > 0) clientOptions.deviceNumbers = opts.deviceNumbers;
  let client: PlatformClient;
  try {
    client = await connectPlatform(opts.url, clientOptions);
  } catch (err) {
    if (mine !== connection) return;
    const e = err as TpgateError;
    // A broker that speaks only MQTT 3.1.1 (aedes, the dev broker) refuses a
    // version 5 CONNECT: say so, and try 3.1.1 once.
    if (opts.protocolVersion === 5 && (e.code === 'ERR_CONNECTION_REFUSED' || e.code === 'ERR_PROTOCOL' || e.code === 'ERR_CONNECT_FAILED')) {
      await connect({ ...opts, protocolVersion: 4 }, `MQTT 5 was refused (${e.code}: ${e.message}); connected with MQTT 3.1.1`);
      return;
    }
    post({ type: 'state', state: 'error', message: `${e.code ?? 'Error'}: ${e.message}` });
    return;
  }
  if (mine !== connection) {
    await client.end(true);
    return;
  }
  pf = client;
  // The enabled data scripts apply to each new client before its first message is handled.
  appliedConfigs = [];
  if (scriptConfigs.length > 0) {
    for (const f of applyScripts(client, scriptConfigs)) notice(`ERR_SCRIPT: ${f.scriptType} script of configuration ${f.configuration} was not enabled: ${f.message}`);
  }
  if (opts.defaultGateway) ensure({ gateway: opts.defaultGateway, kind: 'gateway', path: [] }, null);
  if (opts.deviceNumbers) {
    for (const id of Object.keys(opts.deviceNumbers)) ensure({ gateway: id, kind: 'gateway', path: [] }, null);
  }

  const mqtt = client.client;
  mqtt.on('message', (topic, payload, packet) => {
    stats.received++;
    const m = record('in', topic, payload, packet?.qos ?? 0, packet?.retain ?? false);
    // The platform client's events for this message came first.
    for (const g of heard) g.gw!.messages++;
    heard.clear();
    for (const n of telemetryOf) n.lastTelemetry = m;
    telemetryOf.length = 0;
    reportedNow.clear();
  });
  // Every downlink and ack goes through the client's publish: record it on the way out.
  const publish = mqtt.publish.bind(mqtt);
  mqtt.publish = (topic: string, payload: string | Uint8Array, po?: PublishOptions) => {
    stats.sent++;
    record('out', topic, typeof payload === 'string' ? new TextEncoder().encode(payload) : payload, po?.qos ?? 0, po?.retain ?? false);
    countAck(topic);
    return publish(topic, payload, po);
  };
  const where = `${opts.url} (MQTT ${opts.protocolVersion === 5 ? '5' : '3.1.1'})`;
  mqtt.on('connect', () => mine === connection && post({ type: 'state', state: 'connected', message: where }));
  mqtt.on('offline', (err) => mine === connection && post({ type: 'state', state: 'offline', message: `${err.code}: ${err.message}` }));
  mqtt.on('close', () => mine === connection && !client.client.connected && post({ type: 'state', state: 'offline', message: 'connection closed' }));

  client.on('telemetry', (e) => {
    const node = touch(e.gateway, e.target, Date.now());
    putValues(node, node.telemetry, e.values, e.ts, true);
    telemetryOf.push(node);
  });
  // One report carries the records of several targets (an event per
  // target, one message_id): it is one report, acked once.
  const report = (gateway: string, messageId: string) => {
    const top = gatewayNode(gateway);
    if (!top?.gw || !messageId || reportedNow.has(`${gateway}\u0000${messageId}`)) return;
    reportedNow.add(`${gateway}\u0000${messageId}`);
    top.gw.reports++;
  };
  client.on('attributes', (e) => {
    const node = touch(e.gateway, e.target, Date.now());
    putValues(node, node.attributes, e.values, e.ts, false);
    report(e.gateway, e.messageId);
  });
  client.on('event', (e) => {
    const node = touch(e.gateway, e.target, Date.now());
    node.events.push({ method: e.method, params: e.params, ts: e.ts });
    report(e.gateway, e.messageId);
  });
  client.on('status', (e) => {
    const node = ensure({ gateway: e.deviceId, kind: 'gateway', path: [] }, null);
    node.info.status = e.online;
    if (e.online) node.info.lastSeen = Date.now();
    changed.add(node.info.id);
    urgent.add(node.info.id);
  });
  client.on('error', (err) => {
    if (err.code === 'ERR_SCRIPT') notice(scriptFailureText(err as ScriptError));
    else notice(`${err.code}: ${err.message}`);
  });
  client.on('warning', (w) => notice(`warning: ${w.topic}: ${w.message}`));
  post({ type: 'state', state: 'connected', message: where });

  // Telemetry has no ack in the protocol and is most of the traffic: take it
  // at QoS 0 (the same filter again replaces the subscription's QoS), so a
  // busy dashboard does not answer thousands of PUBACKs a second. Reports and
  // responses stay at QoS 1.
  try {
    await client.client.subscribe('gateway/telemetry', { qos: 0 });
  } catch (err) {
    if (mine === connection) notice(`gateway/telemetry at QoS 0: ${(err as Error).message}`);
  }
}

async function disconnect(): Promise<void> {
  connection++;
  const client = pf;
  pf = null;
  if (client) {
    try {
      await client.end();
    } catch {
      /* already closed */
    }
    post({ type: 'state', state: 'closed' });
  }
}

function targetOf(node: NodeRef): PlatformTarget {
  if (node.kind === 'gateway') return [];
  if (node.kind === 'subgateway') return { subGateways: node.path };
  return node.path;
}

async function request(m: RequestMessage): Promise<void> {
  const reply = (r: Omit<RequestResultMessage, 'type' | 'id'>) => post({ type: 'result', id: m.id, ...r });
  const client = pf;
  if (!client) {
    reply({ ok: false, code: 'ERR_NOT_CONNECTED', message: 'not connected' });
    return;
  }
  const dn = dnOf(m.node.gateway);
  const target = targetOf(m.node);
  const started = performance.now();
  const top = gatewayNode(m.node.gateway);
  stats.requests++;
  const done = (ok: boolean, rttMs: number | undefined, text: string) => {
    if (!ok) stats.failedRequests++;
    if (top?.gw) top.gw.lastRequest = { rttMs: rttMs ?? null, ok, text: `${m.kind}: ${text}` };
  };
  try {
    if (m.kind === 'control') {
      await client.sendControl(dn, target, m.values ?? {});
      const rttMs = performance.now() - started;
      done(true, rttMs, 'sent');
      reply({ ok: true, rttMs });
      return;
    }
    const result =
      m.kind === 'command'
        ? await client.sendCommand(dn, target, m.method ?? '', m.params ?? {})
        : m.kind === 'attributeSet'
          ? await client.sendAttributeSet(dn, target, m.values ?? {})
          : await client.sendAttributeGet(dn, target, m.keys ?? []);
    done(true, result.rttMs, 'success');
    reply({ ok: true, rttMs: result.rttMs, response: result.response, report: result.report });
  } catch (err) {
    const e = err as TpgateError & { errcode?: string; rttMs?: number; response?: RequestResultMessage['response'] };
    done(false, e.rttMs, e.errcode || e.response?.errcode || e.code || 'failed');
    reply({
      ok: false,
      code: e.code ?? 'Error',
      errcode: e.errcode || e.response?.errcode || undefined,
      message: e.response?.message || e.message,
      rttMs: e.rttMs,
      response: e.response,
    });
  }
}

// --- data scripts ------------------------------------------------------------------

/** The configurations the page enabled: applied to the client now and after each connect. */
let scriptConfigs: ScriptConfiguration[] = [];
/** What the current client runs (so a later apply can remove what is gone). */
let appliedConfigs: ScriptConfiguration[] = [];

function failureOf(err: unknown, extra: { configuration?: string; scriptType?: string } = {}): ScriptFailure {
  const e = err as Partial<ScriptError> & Error;
  return {
    code: e.code ?? e.name ?? 'Error',
    kind: typeof e.kind === 'string' ? e.kind : '',
    line: typeof e.line === 'number' ? e.line : 0,
    luaMessage: typeof e.luaMessage === 'string' ? e.luaMessage : '',
    message: String(e.message ?? err),
    ...extra,
  };
}

/** An upload script's failure at run time, for the notices: gateway, script type, configuration, line. */
function scriptFailureText(err: ScriptError): string {
  const gateway = err.gateway ? dnOf(err.gateway) : '?';
  const line = err.line ? ` line ${err.line}` : '';
  return `ERR_SCRIPT: gateway ${gateway}: ${err.scriptType ?? 'data'} script of configuration ${err.configuration ?? '?'} failed (${err.kind}${line}): ${err.luaMessage || err.message}; the message was dropped`;
}

/** Raw topics each script type reads: uplinks as they arrived, downlinks as they were sent. */
const SCRIPT_TOPICS: Record<ScriptType, { direction: 'in' | 'out'; re: RegExp }> = {
  telemetry_up: { direction: 'in', re: /^gateway\/telemetry$/ },
  attributes_up: { direction: 'in', re: /^gateway\/attributes\/(?!response\/|set\/|get\/)[^/]+$/ },
  event_up: { direction: 'in', re: /^gateway\/event\/(?!response\/)[^/]+$/ },
  telemetry_down: { direction: 'out', re: /^gateway\/telemetry\/control\/[^/]+$/ },
  attributes_down: { direction: 'out', re: /^gateway\/attributes\/(?:set\/(?!response\/)[^/]+\/[^/]+|get\/[^/]+)$/ },
  command_down: { direction: 'out', re: /^gateway\/command\/(?!response\/)[^/]+\/[^/]+$/ },
};

/**
 * The newest raw message of `type` for `gateway` (its device_id or
 * device_number): an uplink's payload unwrapped from the broker's envelope,
 * as the platform's upload script gets it; a downlink as it was published.
 */
function lastMessage(type: ScriptType, gateway: string): { topic: string; payload: Uint8Array; ts: number } | null {
  const want = SCRIPT_TOPICS[type];
  const fallback = options?.defaultGateway ?? '';
  const matches = (device: string) => device === gateway || dnOf(device) === gateway || device === dnOf(gateway);
  const all = raw.toArray();
  for (let i = all.length - 1; i >= 0; i--) {
    const m = all[i];
    if (m.direction !== want.direction || !want.re.test(m.topic)) continue;
    if (want.direction === 'out') {
      if (matches(describe(m.topic, m.payload, fallback, options?.deviceNumbers, 0).device)) return m;
      continue;
    }
    const envelope = envelopeOf(m.payload);
    if (envelope) {
      const inner = fromBase64(envelope.values);
      if (inner && matches(envelope.deviceId)) return { topic: m.topic, payload: inner, ts: m.ts };
    } else if (fallback && matches(fallback)) {
      return m;
    }
  }
  return null;
}

async function runScript(m: Extract<ToWorker, { type: 'scriptRun' }>): Promise<void> {
  let topic = '';
  let input: Uint8Array | string;
  let ts: number | undefined;
  if (m.input.kind === 'last') {
    const last = lastMessage(m.scriptType, m.input.gateway);
    if (!last) {
      const failure = failureOf(new Error(`no ${m.scriptType.endsWith('_up') ? 'uplink' : 'downlink'} for ${m.scriptType} of gateway ${dnOf(m.input.gateway)} in the raw traffic kept`));
      post({ type: 'scriptResult', id: m.id, ok: false, error: { ...failure, code: 'ERR_NO_INPUT' } });
      return;
    }
    topic = last.topic;
    input = last.payload;
    ts = last.ts;
  } else {
    input = m.input.text;
  }
  const preview = typeof input === 'string' ? input.slice(0, LIMITS.previewChars) : previewText(input, LIMITS.previewChars);
  const about = { topic, size: typeof input === 'string' ? 0 : input.length, preview, ts };
  try {
    // Pasted text as the platform's test endpoint reads it: "0x..." is hex.
    const bytes = typeof input === 'string' ? scriptInput(input) : input;
    about.size = bytes.length;
    const script = await compileScript(m.source, { name: m.name });
    try {
      const result = script.run(bytes, topic);
      post({ type: 'scriptResult', id: m.id, ok: true, text: result.text, bytes: result.output.length, input: about });
    } finally {
      script.close();
    }
  } catch (err) {
    post({ type: 'scriptResult', id: m.id, ok: false, error: failureOf(err), input: about });
  }
}

/**
 * Sets each configuration's enabled scripts on `client`, removes the others
 * (and those of configurations no longer listed), and assigns each listed
 * gateway its configuration. Returns the scripts that did not compile (they
 * are removed, not left at an older version).
 */
function applyScripts(client: PlatformClient, configs: ScriptConfiguration[]): ScriptFailure[] {
  const failures: ScriptFailure[] = [];
  const remove = (configuration: string, type: ScriptType) => {
    try {
      client.setScript(configuration, type, null);
    } catch {
      /* nothing to remove */
    }
  };
  for (const c of configs) {
    for (const type of SCRIPT_TYPES) {
      const slot = c.scripts[type];
      if (!slot?.enabled) {
        remove(c.id, type);
        continue;
      }
      try {
        client.setScript(c.id, type, slot.source);
      } catch (err) {
        failures.push(failureOf(err, { configuration: c.id, scriptType: type }));
        remove(c.id, type);
      }
    }
  }
  const ids = new Set(configs.map((c) => c.id));
  for (const old of appliedConfigs) if (!ids.has(old.id)) for (const type of SCRIPT_TYPES) remove(old.id, type);
  const assigned = new Map<string, string>();
  for (const c of configs) for (const d of c.devices) if (d) assigned.set(d, c.id);
  for (const old of appliedConfigs) {
    for (const d of old.devices) {
      if (!d || assigned.has(d)) continue;
      try {
        client.assignConfiguration(d, null);
      } catch {
        /* closed */
      }
    }
  }
  for (const [device, id] of assigned) {
    try {
      client.assignConfiguration(device, id);
    } catch (err) {
      failures.push(failureOf(err, { configuration: id }));
    }
  }
  appliedConfigs = configs;
  return failures;
}

let applySeq = 0;

async function setScripts(m: Extract<ToWorker, { type: 'scriptsApply' }>): Promise<void> {
  const mine = ++applySeq;
  const client = pf;
  let failures: ScriptFailure[];
  if (client) {
    failures = applyScripts(client, m.configurations);
  } else {
    // No client yet: compile each enabled script to say now whether it can run.
    failures = [];
    for (const c of m.configurations) {
      for (const type of SCRIPT_TYPES) {
        const slot = c.scripts[type];
        if (!slot?.enabled) continue;
        try {
          (await compileScript(slot.source, { name: `${c.id}.${type}` })).close();
        } catch (err) {
          failures.push(failureOf(err, { configuration: c.id, scriptType: type }));
        }
      }
    }
  }
  if (mine !== applySeq) {
    // A later apply came while these compiled: it decides.
    post({ type: 'scriptsApplied', id: m.id, failures, live: pf !== null });
    return;
  }
  // What did not compile stays off for later connects too.
  const failed = new Set(failures.map((f) => `${f.configuration}\u0000${f.scriptType}`));
  scriptConfigs = m.configurations.map((c) => ({
    ...c,
    scripts: Object.fromEntries(
      Object.entries(c.scripts).map(([type, slot]) => [type, failed.has(`${c.id}\u0000${type}`) ? { ...slot, enabled: false } : slot]),
    ),
  }));
  // A client that connected while the scripts compiled has not seen them yet.
  if (!client && pf) {
    for (const f of applyScripts(pf, scriptConfigs)) notice(`ERR_SCRIPT: ${f.scriptType} script of configuration ${f.configuration} was not enabled: ${f.message}`);
  }
  post({ type: 'scriptsApplied', id: m.id, failures, live: pf !== null });
}

// --- batches ----------------------------------------------------------------------

function detailOf(node: DevNode): DeviceDetail {
  const entries = (m: Map<string, { value: unknown; ts: number }>) =>
    [...m].map(([key, v]) => ({ key, value: v.value, ts: v.ts })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    id: node.info.id,
    telemetry: entries(node.telemetry),
    attributes: entries(node.attributes),
    events: node.events.newest(LIMITS.eventsShown),
    series: [...node.series].map(([key, points]) => ({ key, ...points.snapshot() })),
  };
}

function trafficRows(): Batch['traffic'] {
  if (trafficPaused) return undefined;
  const replace = trafficRefill;
  trafficRefill = false;
  if (!replace && seq === trafficCursor) return undefined;
  const fresh = raw.newest(replace ? raw.length : Math.min(seq - trafficCursor, raw.length));
  trafficCursor = seq;
  const rows: TrafficRow[] = [];
  let skipped = 0;
  const fallback = options?.defaultGateway ?? '';
  for (const m of fresh) {
    if (!trafficFilter(m.topic)) continue;
    if (rows.length >= LIMITS.trafficRowsPerBatch) {
      if (replace) break;
      skipped++;
      continue;
    }
    const about = describe(m.topic, m.payload, fallback, options?.deviceNumbers, LIMITS.previewChars);
    rows.push({
      seq: m.seq,
      qos: m.qos,
      retain: m.retain,
      ts: m.ts,
      direction: m.direction,
      topic: m.topic,
      device: about.device,
      size: m.payload.length,
      preview: about.preview,
    });
  }
  rows.reverse();
  return { rows, skipped, replace };
}

function statsNow(now: number): Batch['stats'] {
  const span = recent.length ? now - recent[0].at : 0;
  const rate = span > 0 ? Math.round(((stats.received - recent[0].received) * 1000) / span) : 0;
  return { received: stats.received, sent: stats.sent, errors: stats.errors, rate, nodes: nodes.size, rawKept: raw.length };
}

// --- the overview ------------------------------------------------------------------

const STATUS_ORDER: Record<Status, number> = { offline: 0, stale: 1, unknown: 2, online: 3 };

function statusOfGateway(node: DevNode, now: number): Status {
  return gatewayStatus(node.info.status, node.info.lastSeen, now);
}

/** Once a second: each gateway's messages over the last second, and a point of the fleet's rate chart. */
function secondTick(now: number): void {
  if (tick.at === 0) {
    tick = { at: now, received: stats.received, sent: stats.sent };
    for (const g of gateways) g.gw!.atTick = g.gw!.messages;
    return;
  }
  const span = now - tick.at;
  if (span < 1000) return;
  const per = 1000 / span;
  for (const g of gateways) {
    const gw = g.gw!;
    gw.rate = Math.round((gw.messages - gw.atTick) * per);
    gw.atTick = gw.messages;
  }
  series.t.push(Math.round(now / 1000));
  series.in.push(Math.round((stats.received - tick.received) * per));
  series.out.push(Math.round((stats.sent - tick.sent) * per));
  if (series.t.length > LIMITS.rateSeconds) {
    series.t.shift();
    series.in.shift();
    series.out.shift();
  }
  tick = { at: now, received: stats.received, sent: stats.sent };
  seriesDirty = true;
}

function fleetSummary(now: number): FleetSummary {
  const f: FleetSummary = {
    gateways: gateways.length, online: 0, offline: 0, stale: 0, unknown: 0, devices: 0, unnamed: 0, awaiting: 0,
    requests: stats.requests, failedRequests: stats.failedRequests,
    inRate: series.in.length ? series.in[series.in.length - 1] : 0,
    outRate: series.out.length ? series.out[series.out.length - 1] : 0,
  };
  const fallback = options?.defaultGateway;
  for (const g of gateways) {
    const gw = g.gw!;
    f[statusOfGateway(g, now)]++;
    f.devices += gw.subDevices;
    f.awaiting += Math.max(0, gw.reports - gw.acked);
    if (g.info.gateway !== fallback && options?.deviceNumbers?.[g.info.gateway] === undefined) f.unnamed++;
  }
  return f;
}

function compareBy(key: OverviewView['sort'], now: number): (a: DevNode, b: DevNode) => number {
  const name = (a: DevNode, b: DevNode) => (a.gw!.sortKey < b.gw!.sortKey ? -1 : a.gw!.sortKey > b.gw!.sortKey ? 1 : 0);
  const num = (f: (n: DevNode) => number) => (a: DevNode, b: DevNode) => f(a) - f(b) || name(a, b);
  switch (key) {
    case 'name':
      return name;
    case 'status': {
      const order = new Map(gateways.map((g) => [g, STATUS_ORDER[statusOfGateway(g, now)]]));
      return num((n) => order.get(n)!);
    }
    case 'lastSeen':
      return num((n) => n.info.lastSeen);
    case 'rate':
      return num((n) => n.gw!.rate);
    case 'subDevices':
      return num((n) => n.gw!.subDevices);
    case 'awaiting':
      return num((n) => n.gw!.reports - n.gw!.acked);
    case 'rtt':
      // Never asked sorts below any answer.
      return num((n) => n.gw!.lastRequest?.rttMs ?? -1);
  }
}

/** Sorts and filters the gateways as the page's view asks. */
function resort(now: number): void {
  const text = view.filter.trim().toLowerCase();
  let list = gateways;
  if (text || view.status !== 'all') {
    list = gateways.filter((g) => {
      if (view.status !== 'all' && statusOfGateway(g, now) !== view.status) return false;
      return !text || g.info.name.toLowerCase().includes(text) || g.info.gateway.toLowerCase().includes(text);
    });
  } else {
    list = gateways.slice();
  }
  const compare = compareBy(view.sort, now);
  list.sort(view.descending ? (a, b) => compare(b, a) : compare);
  sorted = list;
}

function rowOf(g: DevNode, now: number): GatewayRow {
  const gw = g.gw!;
  return {
    id: g.info.id,
    gateway: g.info.gateway,
    name: g.info.name,
    status: statusOfGateway(g, now),
    lastSeen: g.info.lastSeen,
    rate: gw.rate,
    messages: gw.messages,
    subDevices: gw.subDevices,
    awaiting: Math.max(0, gw.reports - gw.acked),
    rttMs: gw.lastRequest?.rttMs ?? null,
    result: gw.lastRequest ? (gw.lastRequest.ok ? 'success' : 'failure') : null,
    resultText: gw.lastRequest?.text ?? '',
  };
}

/** The table's rows while the overview is shown: re-sorted twice a second (the rates change under the sort), or at once when the view changed. */
function overviewRows(now: number): Batch['overview'] {
  if (!view.visible) return undefined;
  if (viewChanged || now - sortedAt >= 500) {
    resort(now);
    sortedAt = now;
  }
  viewChanged = false;
  const first = Math.max(0, Math.min(view.first, Math.max(0, sorted.length - 1)));
  const count = Math.max(0, Math.min(view.count, LIMITS.overviewRows));
  return { total: sorted.length, first, rows: sorted.slice(first, first + count).map((g) => rowOf(g, now)) };
}

// --- the inspector -------------------------------------------------------------------

function inspect(m: Extract<ToWorker, { type: 'inspect' }>): void {
  let found: RawMessage | undefined | null;
  if (m.seq !== undefined) {
    // seq numbers are consecutive: the ring holds seq - length + 1 .. seq.
    found = raw.at(m.seq - (seq - raw.length + 1));
    if (found && found.seq !== m.seq) found = undefined;
  } else if (m.node !== undefined) {
    found = nodes.get(m.node)?.lastTelemetry;
  }
  if (!found) {
    post({
      type: 'inspected',
      id: m.id,
      error: m.seq !== undefined
        ? `message ${m.seq} is no longer kept: the dashboard keeps the newest ${LIMITS.rawMessages.toLocaleString('en')} raw messages`
        : 'no telemetry message from this device since the dashboard connected',
    });
    return;
  }
  const fallback = options?.defaultGateway ?? '';
  const about = describe(found.topic, found.payload, fallback, options?.deviceNumbers, 0);
  const truncated = found.payload.length > LIMITS.inspectBytes;
  const message: InspectedMessage = {
    seq: found.seq,
    ts: found.ts,
    direction: found.direction,
    topic: found.topic,
    qos: found.qos,
    retain: found.retain,
    size: found.payload.length,
    device: about.device,
    payload: found.payload.slice(0, LIMITS.inspectBytes),
    truncated,
  };
  const transfer: Transferable[] = [message.payload.buffer];
  const envelope = envelopeOf(found.payload);
  if (envelope) {
    const values = fromBase64(envelope.values);
    message.envelope = { deviceId: envelope.deviceId, values };
    const dn = options?.deviceNumbers?.[envelope.deviceId];
    if (dn !== undefined) message.envelope.deviceNumber = dn;
    if (values) transfer.push(values.buffer);
  }
  post({ type: 'inspected', id: m.id, message }, transfer);
}

function flush(): void {
  const now = Date.now();
  if (now - tick.at >= 1000) secondTick(now);
  // Messages over the last second, whatever the timer's real period under load.
  recent.push({ at: now, received: stats.received });
  while (recent.length > 2 && now - recent[1].at >= 1000) recent.shift();
  const traffic = trafficRows();
  const overview = overviewRows(now);
  const dirty = resetTree || changed.size > 0 || detailDirty || traffic !== undefined || notices.length > 0 || overview !== undefined;
  if (!dirty && now - lastBatchAt < 1000) return;
  lastBatchAt = now;
  const batch: Batch = {
    fleet: fleetSummary(now),
    overview,
    type: 'batch',
    reset: resetTree,
    nodes: resetTree
      ? [...nodes.values()].map((n) => n.info)
      : [...changed].filter((id) => urgent.has(id) || watched.has(id)).map((id) => nodes.get(id)!.info),
    traffic,
    stats: statsNow(now),
    notices,
  };
  resetTree = false;
  changed.clear();
  urgent.clear();
  notices = [];
  const transfer: Transferable[] = [];
  if (detailDirty && selected !== null) {
    const node = nodes.get(selected);
    if (node) {
      batch.detail = detailOf(node);
      for (const s of batch.detail.series) transfer.push(s.t.buffer, s.v.buffer);
    }
  }
  detailDirty = false;
  if (view.visible && seriesDirty) {
    batch.series = { t: Float64Array.from(series.t), in: Float64Array.from(series.in), out: Float64Array.from(series.out) };
    transfer.push(batch.series.t.buffer, batch.series.in.buffer, batch.series.out.buffer);
    seriesDirty = false;
  }
  post(batch, transfer);
}

function exportNdjson(filter: string): void {
  const match = topicMatcher(filter);
  const fallback = options?.defaultGateway ?? '';
  const lines: string[] = [];
  for (const m of raw.toArray()) if (match(m.topic)) lines.push(ndjsonLine(m, fallback, options?.deviceNumbers));
  post({ type: 'export', text: lines.length ? `${lines.join('\n')}\n` : '', count: lines.length });
}

scope.onmessage = (event) => {
  const m = event.data;
  switch (m.type) {
    case 'connect':
      void connect(m.options);
      break;
    case 'disconnect':
      void disconnect();
      break;
    case 'select':
      selected = m.id;
      detailDirty = m.id !== null;
      break;
    case 'traffic': {
      // The page asks for rows only while the view is shown and not paused;
      // a new filter or the view shown again starts from the newest rows.
      trafficFilter = topicMatcher(m.filter);
      trafficPaused = m.paused;
      if (!m.paused) trafficRefill = true;
      break;
    }
    case 'export':
      exportNdjson(m.filter);
      break;
    case 'request':
      void request(m);
      break;
    case 'scriptRun':
      void runScript(m);
      break;
    case 'scriptsApply':
      void setScripts(m);
      break;
    case 'overview': {
      const wasVisible = view.visible;
      view = m.view;
      viewChanged = true;
      if (view.visible && !wasVisible) seriesDirty = true;
      // Answer a scroll or a new sort at once, not at the next flush.
      if (view.visible) {
        const overview = overviewRows(Date.now());
        if (overview) post({ type: 'batch', reset: false, nodes: [], stats: statsNow(Date.now()), fleet: fleetSummary(Date.now()), overview, notices: [] });
      }
      break;
    }
    case 'inspect':
      inspect(m);
      break;
    case 'treeView': {
      // Rows that come into view are sent with the next batch, as they are now.
      const next = new Set(m.ids);
      for (const id of next) if (!watched.has(id) && nodes.has(id)) changed.add(id);
      watched = next;
      break;
    }
  }
};

setInterval(flush, FLUSH_MS);
post({ type: 'ready' });

export type { NodeKind };
