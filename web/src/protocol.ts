// The messages between the page (main.ts) and the platform worker (worker.ts).
// Everything crosses with structured clone; the worker keeps the model and
// sends the page batches at most every FLUSH_MS, holding only what the page
// shows (the tree rows, the selected device, the traffic view).

export const FLUSH_MS = 100;

export type NodeKind = 'gateway' | 'subgateway' | 'device';

/** Where a node sits: its top-level gateway (the sender's id) and the addresses below it. */
export interface NodeRef {
  gateway: string;
  kind: NodeKind;
  /** Sub-gateway addresses, then the sub-device address; [] for the top-level gateway. */
  path: string[];
}

/** One row of the device tree. */
export interface NodeInfo extends NodeRef {
  id: string;
  parent: string | null;
  /** The address (or the gateway's id); device text, render as text only. */
  name: string;
  /** Telemetry, attribute and event records addressed to this node. */
  count: number;
  /** ms since the epoch; 0 = never. */
  lastSeen: number;
  /** The broker's devices/status word for a top-level gateway; null = never heard. */
  status: boolean | null;
}

export interface ValueEntry {
  key: string;
  value: unknown;
  ts: number;
}

export interface EventEntry {
  method: string;
  params: unknown;
  ts: number;
}

/** A numeric telemetry key's recent points, oldest first; t in seconds (uPlot's x). */
export interface SeriesData {
  key: string;
  t: Float64Array;
  v: Float64Array;
}

export interface DeviceDetail {
  id: string;
  telemetry: ValueEntry[];
  attributes: ValueEntry[];
  events: EventEntry[];
  series: SeriesData[];
}

export type Direction = 'in' | 'out';

/** A raw MQTT message as the traffic view shows it (payload text cut to a preview). */
export interface TrafficRow {
  seq: number;
  qos: number;
  retain: boolean;
  ts: number;
  direction: Direction;
  topic: string;
  device: string;
  size: number;
  preview: string;
}

/** A gateway's state: the broker's status word when it sends one, else how lately it was heard from. */
export type Status = 'online' | 'offline' | 'stale' | 'unknown';

/** A node heard from within STALE_MS is online (when the broker sends no status word). */
export const STALE_MS = 30_000;

export function gatewayStatus(word: boolean | null, lastSeen: number, now: number): Status {
  if (word === false) return 'offline';
  if (word === true) return 'online';
  if (lastSeen === 0) return 'unknown';
  return now - lastSeen < STALE_MS ? 'online' : 'stale';
}

/** The fleet as the overview counts it. */
export interface FleetSummary {
  gateways: number;
  online: number;
  offline: number;
  stale: number;
  unknown: number;
  /** Sub-devices and sub-gateways. */
  devices: number;
  /** Gateways shown by their device_id: no device number known for them. */
  unnamed: number;
  /** Reports (attributes, events) received and not acked yet, over the fleet. */
  awaiting: number;
  requests: number;
  failedRequests: number;
  /** Messages in / out over the last full second. */
  inRate: number;
  outRate: number;
}

/** One row of the overview's gateway table. */
export interface GatewayRow {
  /** The tree node's id (opens the gateway's device view). */
  id: string;
  /** device_id (or the device_number on a broker without the envelope). */
  gateway: string;
  /** Device text: render as text only. */
  name: string;
  status: Status;
  lastSeen: number;
  /** Messages from the gateway over the last full second. */
  rate: number;
  messages: number;
  subDevices: number;
  awaiting: number;
  /** The last request sent to it (or below it) from this dashboard. */
  rttMs: number | null;
  result: 'success' | 'failure' | null;
  resultText: string;
}

export const SORT_KEYS = ['status', 'name', 'lastSeen', 'rate', 'subDevices', 'awaiting', 'rtt'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** What the overview's table shows: the worker sorts and filters, and sends only rows first..first+count. */
export interface OverviewView {
  visible: boolean;
  sort: SortKey;
  descending: boolean;
  filter: string;
  status: 'all' | Status;
  first: number;
  count: number;
}

/** The fleet's messages per second, one point a second, oldest first (t in seconds, uPlot's x). */
export interface RateSeries {
  t: Float64Array;
  in: Float64Array;
  out: Float64Array;
}

/** A raw message opened in the inspector. */
export interface InspectedMessage {
  seq: number;
  ts: number;
  direction: Direction;
  topic: string;
  qos: number;
  retain: boolean;
  size: number;
  /** The device_number (or device_id) the message is about. */
  device: string;
  /** The wire payload (at most LIMITS.inspectBytes of it). */
  payload: Uint8Array;
  truncated: boolean;
  /** The broker's envelope, decoded: the device's own payload. */
  envelope?: { deviceId: string; deviceNumber?: string; values: Uint8Array | null };
}

export interface Stats {
  received: number;
  sent: number;
  /** Messages received over the last second. */
  rate: number;
  errors: number;
  nodes: number;
  rawKept: number;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'offline' | 'closed' | 'error';

export interface ConnectOptions {
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  protocolVersion: 4 | 5;
  /** Which topic family report acks go on: 'spec' gateway/... (default), 'backend' devices/..., or 'both'. */
  ackTopics?: 'spec' | 'backend' | 'both';
  /** For brokers without the ThingsPanel envelope: the one gateway whose uplinks arrive. */
  defaultGateway?: string;
  /** Envelope device_id -> device_number (used for downlink topics and acks). */
  deviceNumbers?: Record<string, string>;
}

export type RequestKind = 'command' | 'attributeSet' | 'attributeGet' | 'control';

export interface RequestMessage {
  type: 'request';
  id: number;
  kind: RequestKind;
  node: NodeRef;
  method?: string;
  params?: unknown;
  values?: Record<string, unknown>;
  keys?: string[];
}

// --- data scripts (the Scripts view) ----------------------------------------------

/** The platform's data script types; '_up' scripts convert uplinks, '_down' ones downlinks. */
export const SCRIPT_TYPES = ['telemetry_up', 'telemetry_down', 'attributes_up', 'attributes_down', 'command_down', 'event_up'] as const;
export type ScriptType = (typeof SCRIPT_TYPES)[number];

export interface ScriptSlot {
  source: string;
  enabled: boolean;
}

/** A device configuration as the dashboard keeps it (and as a configurations file holds it). */
export interface ScriptConfiguration {
  id: string;
  scripts: Partial<Record<ScriptType, ScriptSlot>>;
  /** The gateways (device_number or device_id) that use it. */
  devices: string[];
}

/** What a script run reads: a gateway's last raw message of the script's kind, or pasted text ("0x..." = hex). */
export type ScriptInput = { kind: 'last'; gateway: string } | { kind: 'text'; text: string };

/** A ScriptError as it crosses to the page. */
export interface ScriptFailure {
  code: string;
  /** 'syntax' | 'runtime' | 'no-function' | 'bad-result' | 'budget' | 'memory' | 'argument'; '' for other errors. */
  kind: string;
  line: number;
  luaMessage: string;
  message: string;
  configuration?: string;
  scriptType?: string;
}

export interface ScriptRunResult {
  type: 'scriptResult';
  id: number;
  ok: boolean;
  /** The output as text (device data: render as text only). */
  text?: string;
  bytes?: number;
  /** What the script was given: the topic and a preview of the input. */
  input?: { topic: string; size: number; preview: string; ts?: number };
  error?: ScriptFailure;
}

export interface ScriptsAppliedMessage {
  type: 'scriptsApplied';
  id: number;
  /** Scripts that did not compile (they were not enabled). */
  failures: ScriptFailure[];
  /** false: no platform client yet; the scripts were checked and apply on connect. */
  live: boolean;
}

export type ToWorker =
  | { type: 'connect'; options: ConnectOptions }
  | { type: 'disconnect' }
  | { type: 'select'; id: string | null }
  /** `paused`: send no traffic rows (the view is paused or hidden). */
  | { type: 'traffic'; filter: string; paused: boolean }
  | { type: 'export'; filter: string }
  | RequestMessage
  | { type: 'scriptRun'; id: number; source: string; scriptType: ScriptType; name: string; input: ScriptInput }
  /** The configurations whose enabled scripts the platform client runs, from now on and after each connect. */
  | { type: 'scriptsApply'; id: number; configurations: ScriptConfiguration[] }
  | { type: 'overview'; view: OverviewView }
  /** A raw message by its seq, or the last telemetry message of a node. */
  | { type: 'inspect'; id: number; seq?: number; node?: string }
  /** The tree rows the page shows (and the selected node): the rows it is sent as they change. */
  | { type: 'treeView'; ids: string[] };

export interface RequestResultMessage {
  type: 'result';
  id: number;
  ok: boolean;
  rttMs?: number;
  /** The gateway's response (result, errcode, message, ts, method). */
  response?: { result: number | null; errcode: string; message: string; ts: number; method?: string };
  code?: string;
  errcode?: string;
  message?: string;
  /** attributeGet: the attribute report that answered. */
  report?: unknown;
}

export interface Batch {
  type: 'batch';
  /**
   * Tree rows that changed since the last batch (all of them after a reset): new rows and status
   * changes always, other changes only for the rows the page shows (its last treeView).
   */
  nodes: NodeInfo[];
  reset: boolean;
  /** The selected device, when it changed. */
  detail?: DeviceDetail;
  /**
   * Traffic rows matching the filter (newest last): new ones, or with `replace` the newest of the
   * ring (after a filter change or when the view is shown again). `skipped` more matched but were not sent.
   */
  traffic?: { rows: TrafficRow[]; skipped: number; replace: boolean };
  stats: Stats;
  fleet: FleetSummary;
  /** While the overview is shown: the table's rows (sorted, filtered) and, each new second, the rate series. */
  overview?: { total: number; first: number; rows: GatewayRow[] };
  series?: RateSeries;
  /** Errors and warnings since the last batch (ERR_BAD_MESSAGE, ...). */
  notices: string[];
}

export type FromWorker =
  | Batch
  | { type: 'state'; state: ConnectionState; message?: string }
  | RequestResultMessage
  | { type: 'export'; text: string; count: number }
  | ScriptRunResult
  | ScriptsAppliedMessage
  | { type: 'inspected'; id: number; message?: InspectedMessage; error?: string }
  | { type: 'ready' };

/**
 * A key that sorts names naturally with plain string comparison: `gw-2`
 * before `gw-10` (each run of digits is prefixed with its length), letters
 * without regard to case.
 */
export function naturalKey(name: string): string {
  return name.toLowerCase().replace(/\d+/g, (digits) => {
    const d = digits.replace(/^0+(?=\d)/, '');
    return String.fromCharCode(0x30 + Math.min(d.length, 0xffff - 0x30)) + d;
  });
}

export function nodeId(ref: NodeRef): string {
  return JSON.stringify([ref.gateway, ref.kind, ...ref.path]);
}
