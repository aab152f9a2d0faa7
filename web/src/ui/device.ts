// The selected device: header, latest telemetry, charts, attributes, events,
// and the request forms (command, attribute set/get, control).
import { nodeId, type DeviceDetail, type NodeInfo, type RequestKind, type RequestResultMessage, type ValueEntry } from '../protocol';
import { Charts } from './charts';
import { $, agoText, fill, h, timeText, valueText } from './dom';
import { statusLabel, statusOf } from './status';

const CHART_MS = 250;
const DETAIL_MS = 200;

export type Send = (kind: RequestKind, body: { method?: string; params?: unknown; values?: Record<string, unknown>; keys?: string[] }) =>
  Promise<RequestResultMessage>;

/** Parses a JSON textarea; an empty one is `{}`. Returns the value or a message for the user. */
export function parseJsonInput(text: string, what: string, objectOnly: boolean): { value: unknown } | { error: string } {
  const t = text.trim();
  if (t === '') return { value: {} };
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch (err) {
    return { error: `${what} is not valid JSON: ${(err as Error).message}` };
  }
  if (objectOnly && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    return { error: `${what} must be a JSON object such as {"key": 1}` };
  }
  return { value };
}

export function resultText(r: RequestResultMessage): string {
  const rtt = r.rttMs !== undefined ? ` · ${r.rttMs.toFixed(1)} ms` : '';
  if (r.ok) {
    const message = r.response?.message ? ` · ${r.response.message}` : '';
    return `success${r.response ? ` · result ${r.response.result}` : ''}${message}${rtt}`;
  }
  const errcode = r.errcode ? ` · errcode ${r.errcode}` : '';
  return `failure${errcode} · ${r.message ?? r.code ?? 'error'}${r.code && r.code !== 'ERR_REQUEST_FAILED' ? ` (${r.code})` : ''}${rtt}`;
}

function setStatus(el: HTMLElement, state: 'pending' | 'success' | 'failure' | 'invalid', text: string): void {
  el.dataset.state = state;
  el.textContent = text;
}

export class DevicePanel {
  private readonly charts = new Charts($('charts'), $('charts-empty'));
  private info: NodeInfo | null = null;
  private detail: DeviceDetail | null = null;
  private detailDirty = false;
  private eventsKey = '';
  private detailDrawnAt = 0;
  private drawnId: string | null = null;
  private chartsDrawnAt = 0;
  private chartsId: string | null = null;

  constructor(private readonly send: Send, private readonly infos: Map<string, NodeInfo>) {
    this.wireForms();
    window.addEventListener('resize', () => this.charts.resize());
  }

  get current(): NodeInfo | null {
    return this.info;
  }

  select(info: NodeInfo | null): void {
    const changed = info?.id !== this.info?.id;
    this.info = info;
    $('dev-empty').hidden = info !== null;
    $('dev-view').hidden = info === null;
    if (changed) {
      this.detail = null;
      this.drawnId = null;
      this.eventsKey = '';
      this.chartsId = null;
      this.charts.clear(info?.id ?? null);
      fill($('telemetry'));
      fill($('attributes'));
      fill($('events'));
      $('events-empty').hidden = false;
      fill($('cmd-history'));
      for (const id of ['cmd-status', 'attr-status', 'control-status']) setStatus($(id), 'pending', '');
    }
  }

  setDetail(detail: DeviceDetail): void {
    if (detail.id !== this.info?.id) return;
    this.detail = detail;
    this.detailDirty = true;
  }

  render(now: number): void {
    const info = this.info ? (this.infos.get(this.info.id) ?? this.info) : null;
    if (!info) return;
    this.info = info;
    this.renderHead(info, now);
    if (!this.detailDirty || !this.detail) return;
    // The values change every batch under load: redraw them at most every
    // DETAIL_MS (a newly selected device at once).
    if (now - this.detailDrawnAt < DETAIL_MS && this.detail.id === this.drawnId) return;
    this.detailDirty = false;
    this.detailDrawnAt = now;
    this.drawnId = this.detail.id;
    const d = this.detail;
    syncValueRows($('telemetry'), d.telemetry);
    syncValueRows($('attributes'), d.attributes);
    const newest = d.events[0];
    const eventsKey = newest ? `${d.events.length}:${newest.ts}:${newest.method}` : '';
    if (eventsKey !== this.eventsKey) {
      this.eventsKey = eventsKey;
      fill(
        $('events'),
        ...d.events.map((e) =>
          h('li', {}, h('time', {}, timeText(e.ts)), ' ', h('strong', {}, e.method), ' ', h('code', {}, valueText(e.params))),
        ),
      );
      $('events-empty').hidden = d.events.length > 0;
    }
    // Charts redraw at most every CHART_MS: a canvas redraw is the costliest
    // thing a frame does, and four per second still reads as live.
    if (now - this.chartsDrawnAt >= CHART_MS || d.id !== this.chartsId) {
      this.chartsDrawnAt = now;
      this.chartsId = d.id;
      this.charts.update(d.id, d.series);
    } else {
      this.detailDirty = true;
    }
  }

  private renderHead(info: NodeInfo, now: number): void {
    const kind = info.kind === 'device' ? 'sub-device' : info.kind === 'gateway' ? 'gateway' : 'sub-gateway';
    const title = $('dev-title');
    if (title.textContent !== info.name) title.textContent = info.name || '(unknown gateway)';
    const status = statusOf(info, this.infos, now);
    const pairs: [string, string][] = [
      ['Kind', kind],
      ['Gateway', this.gatewayText(info)],
      ['Path', info.path.length ? info.path.join(' / ') : '(the gateway itself)'],
      ['Status', statusLabel(status)],
      ['Last seen', info.lastSeen ? `${agoText(now - info.lastSeen)} (${timeText(info.lastSeen).slice(0, 8)})` : 'never'],
      ['Messages', String(info.count)],
    ];
    const meta = $('dev-meta');
    if (meta.childElementCount !== pairs.length * 2) {
      fill(meta, ...pairs.flatMap(([k]) => [h('dt', {}, k), h('dd', {})]));
    }
    pairs.forEach(([, v], i) => {
      const dd = meta.children[2 * i + 1] as HTMLElement;
      if (dd.textContent !== v) dd.textContent = v;
    });
    const statusDd = meta.children[7] as HTMLElement;
    if (statusDd.dataset.status !== status) statusDd.dataset.status = status;
  }

  /** The top-level gateway's device_number, and the envelope's device_id when they differ. */
  private gatewayText(info: NodeInfo): string {
    const top = this.infos.get(nodeId({ gateway: info.gateway, kind: 'gateway', path: [] }));
    const name = top?.name || info.gateway;
    if (!name) return '(unknown)';
    return name === info.gateway ? name : `${name} (device_id ${info.gateway})`;
  }

  private wireForms(): void {
    const cmdForm = $<HTMLFormElement>('cmd-form');
    cmdForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const method = $<HTMLInputElement>('cmd-method').value.trim();
      const paramsEl = $<HTMLTextAreaElement>('cmd-params');
      const status = $('cmd-status');
      if (!this.info) return;
      if (method === '') {
        setStatus(status, 'invalid', 'Enter a method name, e.g. Restart.');
        $('cmd-method').setAttribute('aria-invalid', 'true');
        return;
      }
      $('cmd-method').removeAttribute('aria-invalid');
      const parsed = parseJsonInput(paramsEl.value, 'Params', false);
      if ('error' in parsed) {
        paramsEl.setAttribute('aria-invalid', 'true');
        setStatus(status, 'invalid', parsed.error);
        return;
      }
      paramsEl.removeAttribute('aria-invalid');
      const entry = h('li', { 'data-state': 'pending' }, h('strong', {}, method), ' → ', this.info.name, ': ', h('span', { class: 'outcome' }, 'pending…'));
      $('cmd-history').prepend(entry);
      while ($('cmd-history').childElementCount > 20) $('cmd-history').lastElementChild?.remove();
      setStatus(status, 'pending', `${method}: pending…`);
      void this.send('command', { method, params: parsed.value }).then((r) => {
        const text = resultText(r);
        entry.dataset.state = r.ok ? 'success' : 'failure';
        entry.querySelector('.outcome')!.textContent = text;
        setStatus(status, r.ok ? 'success' : 'failure', `${method}: ${text}`);
      });
    });

    $<HTMLFormElement>('attr-set-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $<HTMLTextAreaElement>('attr-set-values');
      const status = $('attr-status');
      const parsed = parseJsonInput(input.value, 'Attribute values', true);
      if ('error' in parsed || Object.keys(parsed.value as object).length === 0) {
        input.setAttribute('aria-invalid', 'true');
        setStatus(status, 'invalid', 'error' in parsed ? parsed.error : 'Attribute values must name at least one attribute, e.g. {"report_interval": 10}');
        return;
      }
      input.removeAttribute('aria-invalid');
      const values = parsed.value as Record<string, unknown>;
      const what = `set ${valueText(values)}`;
      setStatus(status, 'pending', `${what}: pending…`);
      void this.send('attributeSet', { values }).then((r) => setStatus(status, r.ok ? 'success' : 'failure', `${what}: ${resultText(r)}`));
    });

    $<HTMLFormElement>('attr-get-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const keys = $<HTMLInputElement>('attr-get-keys').value.split(',').map((k) => k.trim()).filter(Boolean);
      const status = $('attr-status');
      const what = `get ${keys.length ? keys.join(', ') : 'all'}`;
      setStatus(status, 'pending', `${what}: pending…`);
      void this.send('attributeGet', { keys }).then((r) => setStatus(status, r.ok ? 'success' : 'failure', `${what}: ${resultText(r)}`));
    });

    $<HTMLFormElement>('control-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $<HTMLTextAreaElement>('control-values');
      const status = $('control-status');
      const parsed = parseJsonInput(input.value, 'Control values', true);
      if ('error' in parsed || Object.keys(parsed.value as object).length === 0) {
        input.setAttribute('aria-invalid', 'true');
        setStatus(status, 'invalid', 'error' in parsed ? parsed.error : 'Control values must name at least one key, e.g. {"switch": true}');
        return;
      }
      input.removeAttribute('aria-invalid');
      const values = parsed.value as Record<string, unknown>;
      setStatus(status, 'pending', `control ${valueText(values)}: sending…`);
      void this.send('control', { values }).then((r) =>
        setStatus(status, r.ok ? 'success' : 'failure', `control ${valueText(values)}: ${r.ok ? `sent (no answer exists for control)${r.rttMs !== undefined ? ` · ${r.rttMs.toFixed(1)} ms` : ''}` : resultText(r)}`),
      );
    });
  }
}

/** Brings a key/value/time table to `entries` (sorted by key), touching only the cells that changed. */
function syncValueRows(tbody: HTMLElement, entries: ValueEntry[]): void {
  const rows = tbody.children;
  let same = rows.length === entries.length;
  for (let i = 0; same && i < entries.length; i++) same = (rows[i] as HTMLElement).dataset.key === entries[i].key;
  if (!same) {
    fill(tbody, ...entries.map((v) => h('tr', { 'data-key': v.key }, h('th', { scope: 'row' }, v.key), h('td', {}, valueText(v.value)), h('td', {}, timeText(v.ts)))));
    return;
  }
  entries.forEach((v, i) => {
    const cells = rows[i].children;
    const value = valueText(v.value);
    const time = timeText(v.ts);
    if (cells[1].textContent !== value) cells[1].textContent = value;
    if (cells[2].textContent !== time) cells[2].textContent = time;
  });
}
