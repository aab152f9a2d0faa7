// The fleet overview (the landing view): the fleet's counts, its messages per
// second over the last minutes, and a table of every gateway. The worker
// sorts and filters the table (it holds the model); the page asks for the
// rows it can show (first, count) and draws only those, so 10,000 gateways
// cost the page what 40 do.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FleetSummary, GatewayRow, OverviewView, RateSeries, SortKey, Status } from '../protocol';
import { $, agoText, h, setAttr, setText } from './dom';
import { statusLabel } from './status';

export const OVERVIEW_ROW_HEIGHT = 28;
// Rows drawn above and below the viewport, and asked for beyond those: a
// scroll of a few rows draws from rows already here.
const OVERSCAN = 6;
const MARGIN = 30;

const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: 'status', label: 'Status', numeric: false },
  { key: 'name', label: 'Gateway', numeric: false },
  { key: 'lastSeen', label: 'Last seen', numeric: true },
  { key: 'rate', label: 'msg/s', numeric: true },
  { key: 'subDevices', label: 'Sub-devices', numeric: true },
  { key: 'awaiting', label: 'Awaiting ack', numeric: true },
  { key: 'rtt', label: 'Last request', numeric: true },
];

const KPIS: { key: keyof FleetSummary; label: string }[] = [
  { key: 'gateways', label: 'Gateways' },
  { key: 'online', label: 'Online' },
  { key: 'offline', label: 'Offline' },
  { key: 'stale', label: 'Not heard lately' },
  { key: 'devices', label: 'Sub-devices' },
  { key: 'inRate', label: 'msg/s in' },
  { key: 'outRate', label: 'msg/s out' },
  { key: 'awaiting', label: 'Reports awaiting ack' },
  { key: 'failedRequests', label: 'Failed requests' },
];

export class Overview {
  private view: OverviewView = { visible: false, sort: 'name', descending: false, filter: '', status: 'all', first: 0, count: 60 };
  private total = 0;
  private first = 0;
  private rows: GatewayRow[] = [];
  private fleet: FleetSummary | null = null;
  private errors = 0;
  private dirty = true;
  private pool: HTMLElement[] = [];
  private active = 0;
  private chart: uPlot | null = null;
  private chartData: RateSeries | null = null;
  private chartDirty = false;
  private asked = '';
  private readonly scroller = $('gw-scroll');
  private readonly spacer = $('gw-spacer');

  constructor(
    private readonly ask: (view: OverviewView) => void,
    private readonly open: (row: GatewayRow) => void,
    private readonly changed: () => void,
  ) {
    const head = $('gw-head');
    for (const c of COLUMNS) {
      const button = h('button', { type: 'button', class: 'sort', 'data-sort': c.key }, c.label);
      button.addEventListener('click', () => this.sortBy(c.key, c.numeric));
      head.append(h('div', { role: 'columnheader', class: `col-${c.key}`, 'aria-sort': 'none' }, button));
    }
    const kpis = $('fleet-kpis');
    for (const k of KPIS) {
      kpis.append(h('div', { class: `kpi kpi-${k.key}` }, h('span', { class: 'kpi-label' }, k.label), h('span', { class: 'kpi-value', id: `kpi-${k.key}`, 'data-value': '0' }, '0')));
    }
    kpis.append(h('div', { class: 'kpi kpi-errors' }, h('span', { class: 'kpi-label' }, 'Errors'), h('span', { class: 'kpi-value', id: 'kpi-errors', 'data-value': '0' }, '0')));
    let timer = 0;
    $<HTMLInputElement>('gw-filter').addEventListener('input', (e) => {
      clearTimeout(timer);
      const value = (e.target as HTMLInputElement).value;
      timer = window.setTimeout(() => this.update({ filter: value, first: 0 }, true), 120);
    });
    $<HTMLSelectElement>('gw-status').addEventListener('change', (e) => {
      this.update({ status: (e.target as HTMLSelectElement).value as OverviewView['status'], first: 0 }, true);
    });
    this.scroller.addEventListener('scroll', () => {
      this.request();
      this.dirty = true;
      this.changed();
    });
    // The grid holds the focus (the header's sort buttons are tab stops of their own).
    const grid = $('gw-table');
    grid.addEventListener('keydown', (e) => {
      if (e.target === grid) this.key(e);
    });
    grid.addEventListener('focus', () => {
      this.dirty = true;
      this.changed();
    });
    this.scroller.addEventListener('click', (e) => {
      const el = (e.target as Element).closest<HTMLElement>('[data-index]');
      if (!el) return;
      this.active = Number(el.dataset.index);
      this.openActive();
    });
    window.addEventListener('resize', () => {
      this.chart?.setSize(this.chartSize());
      this.request();
    });
    this.sortMarks();
  }

  setVisible(visible: boolean): void {
    if (visible === this.view.visible) return;
    this.update({ visible }, false);
    this.chartDirty = true;
  }

  private update(change: Partial<OverviewView>, resetScroll: boolean): void {
    this.view = { ...this.view, ...change };
    if (resetScroll) {
      this.scroller.scrollTop = 0;
      this.active = 0;
    }
    this.asked = '';
    this.request();
    this.dirty = true;
    this.changed();
  }

  /** Asks the worker for the rows around the viewport (when they differ from what it sends now). */
  private request(): void {
    const height = this.scroller.clientHeight || 600;
    const top = Math.floor(this.scroller.scrollTop / OVERVIEW_ROW_HEIGHT);
    const shown = Math.ceil(height / OVERVIEW_ROW_HEIGHT);
    // Ask again only when the viewport leaves the window asked for.
    const lo = this.view.first;
    const hi = this.view.first + this.view.count;
    const need = this.asked === '' || top - OVERSCAN < lo || top + shown + OVERSCAN > hi;
    if (need) {
      this.view.first = Math.max(0, top - MARGIN);
      this.view.count = shown + 2 * MARGIN;
    }
    const key = JSON.stringify(this.view);
    if (key === this.asked) return;
    this.asked = key;
    this.ask({ ...this.view });
  }

  private sortBy(key: SortKey, numeric: boolean): void {
    // The same column again flips the order; a new numeric column starts highest first.
    const descending = this.view.sort === key ? !this.view.descending : numeric;
    this.update({ sort: key, descending, first: 0 }, true);
    this.sortMarks();
  }

  private sortMarks(): void {
    for (const th of $('gw-head').children as unknown as HTMLElement[]) {
      const key = th.querySelector<HTMLElement>('button')!.dataset.sort;
      th.setAttribute('aria-sort', key === this.view.sort ? (this.view.descending ? 'descending' : 'ascending') : 'none');
    }
  }

  setData(fleet: FleetSummary, errors: number, overview?: { total: number; first: number; rows: GatewayRow[] }, series?: RateSeries): void {
    this.fleet = fleet;
    this.errors = errors;
    if (overview) {
      this.total = overview.total;
      this.first = overview.first;
      this.rows = overview.rows;
      this.dirty = true;
    }
    if (series) {
      this.chartData = series;
      this.chartDirty = true;
    }
  }

  reset(): void {
    this.total = 0;
    this.rows = [];
    this.fleet = null;
    this.chartData = null;
    this.chartDirty = true;
    this.dirty = true;
    this.asked = '';
    this.request();
  }

  private key(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / OVERVIEW_ROW_HEIGHT) - 1);
    let to = this.active;
    switch (e.key) {
      case 'ArrowDown': to++; break;
      case 'ArrowUp': to--; break;
      case 'PageDown': to += page; break;
      case 'PageUp': to -= page; break;
      case 'Home': to = 0; break;
      case 'End': to = this.total - 1; break;
      case 'Enter':
      case ' ':
        this.openActive();
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    if (this.total === 0) return;
    this.active = Math.max(0, Math.min(this.total - 1, to));
    const top = this.active * OVERVIEW_ROW_HEIGHT;
    const s = this.scroller;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + OVERVIEW_ROW_HEIGHT > s.scrollTop + s.clientHeight) s.scrollTop = top + OVERVIEW_ROW_HEIGHT - s.clientHeight;
    this.request();
    this.dirty = true;
    this.changed();
  }

  private openActive(): void {
    const row = this.rows[this.active - this.first];
    if (row) this.open(row);
  }

  private chartSize(): { width: number; height: number } {
    return { width: Math.max(300, $('rate-chart').clientWidth - 8), height: 160 };
  }

  render(now: number): void {
    if (!this.view.visible) return;
    this.renderKpis();
    if (this.chartDirty) this.renderChart();
    if (this.dirty) this.renderRows(now);
  }

  private renderKpis(): void {
    const f = this.fleet;
    if (!f) return;
    for (const k of KPIS) setValue(`kpi-${k.key}`, f[k.key]);
    setValue('kpi-errors', this.errors);
    const unnamed = $('fleet-unnamed');
    const text = f.unnamed > 0
      ? `${f.unnamed.toLocaleString('en')} of ${f.gateways.toLocaleString('en')} gateways show their device_id: no device number is known for them. Load a device map (CSV or JSON) under Connection › Gateway identity; without it, commands to them cannot be addressed.`
      : '';
    if (unnamed.textContent !== text) unnamed.textContent = text;
    unnamed.hidden = text === '';
  }

  private renderChart(): void {
    this.chartDirty = false;
    const s = this.chartData;
    const data: uPlot.AlignedData = s ? [s.t, s.in, s.out] : [[], [], []];
    if (!this.chart) {
      this.chart = new uPlot(
        {
          ...this.chartSize(),
          legend: { show: true, live: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true } },
          series: [{}, { label: 'in', stroke: '#2563eb', width: 1.5, points: { show: false } }, { label: 'out', stroke: '#16a34a', width: 1.5, points: { show: false } }],
          axes: [{ size: 28 }, { size: 56 }],
        },
        data,
        $('rate-chart'),
      );
    } else {
      this.chart.setData(data);
    }
    $('rate-chart').dataset.points = String(s?.t.length ?? 0);
  }

  private renderRows(now: number): void {
    this.dirty = false;
    const s = this.scroller;
    const height = `${this.total * OVERVIEW_ROW_HEIGHT}px`;
    if (this.spacer.style.height !== height) this.spacer.style.height = height;
    const grid = $('gw-table');
    grid.setAttribute('aria-rowcount', String(this.total + 1));
    const count = $('gw-count');
    const all = this.fleet?.gateways ?? this.total;
    const text = this.total === all ? `${all.toLocaleString('en')} gateways` : `${this.total.toLocaleString('en')} of ${all.toLocaleString('en')} gateways`;
    if (count.textContent !== text) count.textContent = text;
    count.dataset.shown = String(this.total);
    if (this.active >= this.total) this.active = Math.max(0, this.total - 1);
    const from = Math.max(0, Math.floor(s.scrollTop / OVERVIEW_ROW_HEIGHT) - OVERSCAN);
    const to = Math.min(this.total, Math.ceil((s.scrollTop + (s.clientHeight || 600)) / OVERVIEW_ROW_HEIGHT) + OVERSCAN);
    while (this.pool.length < to - from) {
      this.pool.push(
        h(
          'div',
          { role: 'row', class: 'gw-row' },
          h('div', { role: 'gridcell', class: 'col-status' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'label' })),
          h('div', { role: 'gridcell', class: 'col-name' }),
          h('div', { role: 'gridcell', class: 'col-lastSeen num' }),
          h('div', { role: 'gridcell', class: 'col-rate num' }),
          h('div', { role: 'gridcell', class: 'col-subDevices num' }),
          h('div', { role: 'gridcell', class: 'col-awaiting num' }),
          h('div', { role: 'gridcell', class: 'col-rtt' }),
        ),
      );
    }
    const used: HTMLElement[] = [];
    let activeId = '';
    for (let i = from; i < to; i++) {
      const el = this.pool[i - from];
      used.push(el);
      const row = this.rows[i - this.first];
      const elementId = `gw-row-${i}`;
      if (i === this.active) activeId = elementId;
      setAttr(el, 'id', elementId);
      setAttr(el, 'data-index', String(i));
      setAttr(el, 'aria-rowindex', String(i + 2));
      setAttr(el, 'class', `gw-row${i === this.active ? ' active' : ''}${row ? '' : ' loading'}`);
      setAttr(el, 'data-gateway', row ? row.name : null);
      setAttr(el, 'data-status', row ? row.status : null);
      const top = `${i * OVERVIEW_ROW_HEIGHT}px`;
      if (el.style.top !== top) el.style.top = top;
      const [status, name, seen, rate, subs, awaiting, rtt] = el.children as unknown as HTMLElement[];
      if (!row) {
        for (const c of [name, seen, rate, subs, awaiting, rtt]) setText(c, '');
        setText(status.lastElementChild!, '…');
        setAttr(status.firstElementChild!, 'class', 'dot');
        continue;
      }
      setAttr(status.firstElementChild!, 'class', `dot ${row.status}`);
      setText(status.lastElementChild!, statusWord(row.status));
      setText(name, row.name);
      setAttr(name, 'title', row.name === row.gateway ? row.name : `${row.name} (device_id ${row.gateway})`);
      setText(seen, row.lastSeen ? agoText(now - row.lastSeen) : 'never');
      setText(rate, String(row.rate));
      setText(subs, String(row.subDevices));
      setText(awaiting, String(row.awaiting));
      setText(rtt, row.result === null ? '' : `${row.rttMs === null ? '' : `${row.rttMs.toFixed(0)} ms · `}${row.resultText}`);
      setAttr(rtt, 'data-result', row.result);
    }
    const children = this.spacer.children;
    let same = children.length === used.length;
    for (let i = 0; same && i < used.length; i++) same = children[i] === used[i];
    if (!same) this.spacer.replaceChildren(...used);
    if (activeId && document.activeElement === grid) setAttr(grid, 'aria-activedescendant', activeId);
    else grid.removeAttribute('aria-activedescendant');
    $('gw-empty').hidden = this.total > 0;
  }
}

function statusWord(s: Status): string {
  return s === 'stale' ? 'stale' : statusLabel(s);
}

function setValue(id: string, value: number): void {
  const el = $(id);
  const text = value.toLocaleString('en');
  if (el.textContent !== text) el.textContent = text;
  el.dataset.value = String(value);
}
