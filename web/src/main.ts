// The dashboard page. The platform client runs in a worker (worker.ts); the
// page keeps only what it draws, merges the worker's batches as they come and
// draws once per animation frame, only what is visible.
import './styles.css';
import type {
  ConnectionState, FromWorker, RequestKind, RequestResultMessage, ScriptRunResult, ScriptsAppliedMessage, Stats, ToWorker,
} from './protocol';
import { ConnectionPanel } from './ui/connection';
import { DevicePanel } from './ui/device';
import { Inspector } from './ui/inspector';
import { Overview } from './ui/overview';
import { PendingDevices } from './ui/pending';
import { ScriptsPanel, type GatewaySeen } from './ui/scripts';
import { $, fill, h } from './ui/dom';
import { TrafficView } from './ui/traffic-view';
import { Tree } from './ui/tree';

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'tpgate-platform' });
const toWorker = (m: ToWorker) => worker.postMessage(m);

let frame = 0;
function schedule(): void {
  if (frame === 0) frame = requestAnimationFrame(render);
}

// --- requests: page -> worker -> platform client -> result back ---------------------
let nextRequest = 1;
const pending = new Map<number, (r: RequestResultMessage) => void>();

const tree = new Tree($('tree'), $('tree-spacer'), (id) => {
  device.select(tree.infos.get(id) ?? null);
  toWorker({ type: 'select', id });
  showTab('device');
}, schedule, (ids) => toWorker({ type: 'treeView', ids }));

const device = new DevicePanel((kind: RequestKind, body) => {
  const node = device.current;
  if (!node) return Promise.resolve({ type: 'result', id: 0, ok: false, message: 'no device selected' });
  const id = nextRequest++;
  return new Promise<RequestResultMessage>((resolve) => {
    pending.set(id, resolve);
    toWorker({ type: 'request', id, kind, node: { gateway: node.gateway, kind: node.kind, path: node.path }, ...body });
  });
}, tree.infos);

// --- the payload inspector: the worker sends the whole message ------------------------
const inspector = new Inspector();
let inspecting = 0;
function inspect(what: string, target: { seq: number } | { node: string }): void {
  inspecting = nextRequest++;
  inspector.opening(what);
  toWorker({ type: 'inspect', id: inspecting, ...target });
}

const traffic = new TrafficView(
  (filter, paused) => toWorker({ type: 'traffic', filter, paused }),
  (filter) => toWorker({ type: 'export', filter }),
  schedule,
  (seq) => inspect(`Message #${seq}`, { seq }),
);
$('telemetry-inspect').addEventListener('click', () => {
  const node = device.current;
  if (node) inspect(`Last telemetry of ${node.name}`, { node: node.id });
});

const overview = new Overview(
  (view) => toWorker({ type: 'overview', view }),
  (row) => {
    tree.reveal(row.id);
    tree.select(row.id);
  },
  schedule,
);
$('tree-expand').addEventListener('click', () => tree.setAllExpanded(true));
$('tree-collapse').addEventListener('click', () => tree.setAllExpanded(false));

// --- data scripts: the panel asks, the worker compiles, runs and applies ---------------
const scriptRuns = new Map<number, (r: ScriptRunResult) => void>();
const scriptApplies = new Map<number, (r: ScriptsAppliedMessage) => void>();
function gatewaysSeen(): GatewaySeen[] {
  const out: GatewaySeen[] = [];
  for (const info of tree.infos.values()) if (info.kind === 'gateway') out.push({ id: info.gateway, name: info.name });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
const scripts = new ScriptsPanel({
  run: (source, scriptType, name, input) => {
    const id = nextRequest++;
    return new Promise((resolve) => {
      scriptRuns.set(id, resolve);
      toWorker({ type: 'scriptRun', id, source, scriptType, name, input });
    });
  },
  apply: (configurations) => {
    const id = nextRequest++;
    return new Promise((resolve) => {
      scriptApplies.set(id, resolve);
      toWorker({ type: 'scriptsApply', id, configurations });
    });
  },
  gateways: gatewaysSeen,
});

const pendingDevices = new PendingDevices();
const connection = new ConnectionPanel(
  (options, api) => {
    device.select(null);
    toWorker({ type: 'connect', options });
    traffic.settings();
    pendingDevices.watch(api);
  },
  () => {
    pendingDevices.stop();
    toWorker({ type: 'disconnect' });
  },
);

// --- tabs ------------------------------------------------------------------------
const TABS = ['overview', 'device', 'traffic', 'scripts'] as const;
type Tab = (typeof TABS)[number];
let tab: Tab = 'overview';
function showTab(which: Tab): void {
  tab = which;
  for (const t of TABS) {
    const button = $(`tab-${t}`);
    button.setAttribute('aria-selected', String(t === which));
    button.tabIndex = t === which ? 0 : -1;
    $(`panel-${t}`).hidden = t !== which;
  }
  traffic.setVisible(which === 'traffic');
  overview.setVisible(which === 'overview');
  schedule();
}
for (const [i, t] of TABS.entries()) {
  $(`tab-${t}`).addEventListener('click', () => showTab(t));
  $(`tab-${t}`).addEventListener('keydown', (e) => {
    let next: Tab;
    if (e.key === 'ArrowLeft') next = TABS[(i + TABS.length - 1) % TABS.length];
    else if (e.key === 'ArrowRight') next = TABS[(i + 1) % TABS.length];
    else if (e.key === 'Home') next = TABS[0];
    else if (e.key === 'End') next = TABS[TABS.length - 1];
    else return;
    e.preventDefault();
    showTab(next);
    $(`tab-${next}`).focus();
  });
}

$<HTMLInputElement>('tree-filter').addEventListener('input', (e) => {
  tree.setFilter((e.target as HTMLInputElement).value);
  schedule();
});

// --- worker messages ---------------------------------------------------------------
let stats: Stats | null = null;
let state: ConnectionState = 'idle';
let stateMessage = '';
const notices: string[] = [];
let noticesDirty = false;

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'batch':
      tree.update(m.nodes, m.reset);
      if (m.reset) {
        device.select(null);
        overview.reset();
      }
      overview.setData(m.fleet, m.stats.errors, m.overview, m.series);
      if (m.detail) device.setDetail(m.detail);
      if (m.traffic) traffic.add(m.traffic.rows, m.traffic.skipped, m.traffic.replace);
      stats = m.stats;
      if (m.notices.length) {
        notices.unshift(...m.notices.reverse());
        notices.length = Math.min(notices.length, 50);
        noticesDirty = true;
      }
      break;
    case 'state':
      state = m.state;
      stateMessage = m.message ?? '';
      connection.setState(state);
      break;
    case 'inspected':
      if (m.id !== inspecting) break;
      if (m.message) inspector.show(m.message);
      else inspector.failed(m.error ?? 'the message could not be read');
      break;
    case 'result':
      pending.get(m.id)?.(m);
      pending.delete(m.id);
      break;
    case 'export':
      TrafficView.download(m.text);
      $('traffic-info').textContent = `exported ${m.count} messages`;
      break;
    case 'scriptResult':
      scriptRuns.get(m.id)?.(m);
      scriptRuns.delete(m.id);
      break;
    case 'scriptsApplied':
      scriptApplies.get(m.id)?.(m);
      scriptApplies.delete(m.id);
      break;
    case 'ready':
      break;
  }
  schedule();
};
worker.onerror = (e) => {
  state = 'error';
  stateMessage = `the platform worker failed: ${e.message}`;
  schedule();
};

// --- drawing -----------------------------------------------------------------------
const stateText: Record<ConnectionState, string> = {
  idle: 'not connected',
  connecting: 'connecting…',
  connected: 'connected',
  offline: 'offline, reconnecting…',
  closed: 'disconnected',
  error: 'connection failed',
};

function render(): void {
  frame = 0;
  const now = Date.now();
  const badge = $('conn-state');
  const text = `${stateText[state]}${stateMessage ? `: ${stateMessage}` : ''}`;
  if (badge.textContent !== text) badge.textContent = text;
  if (badge.dataset.state !== state) {
    badge.className = `badge ${state}`;
    badge.dataset.state = state;
  }
  if (stats) {
    const s = $('stats');
    const text = `${stats.rate} msg/s · ${stats.received} in · ${stats.sent} out · ${stats.nodes} devices${stats.errors ? ` · ${stats.errors} problems` : ''}`;
    if (s.textContent !== text) s.textContent = text;
    s.dataset.received = String(stats.received);
    s.dataset.rate = String(stats.rate);
  }
  tree.render(now);
  const count = `${tree.infos.size}`;
  if ($('tree-count').textContent !== count) $('tree-count').textContent = count;
  device.render(now);
  if (tab === 'overview') overview.render(now);
  traffic.render(tab === 'traffic', stats?.received ?? 0);
  if (tab === 'scripts') scripts.setGateways(gatewaysSeen());
  if (noticesDirty) {
    noticesDirty = false;
    fill($('notices'), ...notices.map((n) => h('li', {}, n)));
  }
}

// "Last seen" ages and staleness change with time alone, and the tree and the
// device panel hold back redraws that come faster than they draw (a quarter
// of a second): a frame every 250 ms picks those up.
setInterval(schedule, 250);

// Enabled scripts from the last visit reach the worker before the first connect.
scripts.start();
connection.start();
showTab('overview');
