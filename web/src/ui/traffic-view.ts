// The raw traffic view: the newest messages first, a topic filter, pause, and
// the NDJSON export (the worker writes it from its ring of raw messages). A
// row (its time, a button) opens the message in the inspector.
import type { TrafficRow } from '../protocol';
import { $, fill, h, timeText } from './dom';

const SHOWN = 200;

export class TrafficView {
  private rows: TrafficRow[] = []; // newest first
  private dirty = false;
  private skipped = 0;
  paused = false;
  private visible = false;

  constructor(
    private readonly onSettings: (filter: string, paused: boolean) => void,
    private readonly onExport: (filter: string) => void,
    private readonly changed: () => void,
    private readonly onInspect: (seq: number) => void,
  ) {
    $('traffic').addEventListener('click', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('tr[data-seq]');
      if (row) this.onInspect(Number(row.dataset.seq));
    });
    const filter = $<HTMLInputElement>('traffic-filter');
    let timer = 0;
    filter.addEventListener('input', () => {
      clearTimeout(timer);
      timer = window.setTimeout(() => {
        this.rows = [];
        this.skipped = 0;
        this.dirty = true;
        this.settings();
        this.changed();
      }, 150);
    });
    const pause = $('traffic-pause');
    pause.addEventListener('click', () => {
      this.paused = !this.paused;
      pause.setAttribute('aria-pressed', String(this.paused));
      pause.textContent = this.paused ? 'Resume' : 'Pause';
      this.settings();
      this.dirty = true;
      this.changed();
    });
    $('traffic-export').addEventListener('click', () => this.onExport(this.filter()));
  }

  filter(): string {
    return $<HTMLInputElement>('traffic-filter').value;
  }

  /** Rows are only sent while the view is shown and not paused. */
  settings(): void {
    this.onSettings(this.filter(), this.paused || !this.visible);
  }

  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    this.settings();
  }

  add(rows: TrafficRow[], skipped: number, replace: boolean): void {
    if (this.paused) return;
    if (replace) this.rows = [];
    this.skipped += skipped;
    // rows come oldest first; this.rows is newest first
    this.rows = rows.slice().reverse().concat(this.rows);
    if (this.rows.length > SHOWN) this.rows.length = SHOWN;
    this.dirty = true;
  }

  render(visible: boolean, received: number): void {
    if (!visible || !this.dirty) return;
    this.dirty = false;
    fill(
      $('traffic'),
      ...this.rows.map((r) =>
        h(
          'tr',
          { class: r.direction, 'data-seq': r.seq },
          h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': `Inspect the message of ${timeText(r.ts)} on ${r.topic}` }, timeText(r.ts))),
          h('td', {}, r.direction === 'in' ? '↓ in' : '↑ out'),
          h('td', { class: 'num' }, `${r.qos}${r.retain ? ' R' : ''}`),
          h('td', { class: 'topic' }, r.topic),
          h('td', {}, r.device),
          h('td', { class: 'num' }, r.size),
          h('td', { class: 'payload', title: r.preview }, r.preview),
        ),
      ),
    );
    $('traffic-info').textContent = `${this.paused ? 'paused · ' : ''}showing the newest ${this.rows.length} · ${received} received${this.skipped ? `, ${this.skipped} not drawn (too fast to show)` : ''}`;
  }

  /** Hands the NDJSON text to the browser as a download. */
  static download(text: string): void {
    const blob = new Blob([text], { type: 'application/x-ndjson' });
    const url = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const a = h('a', { href: url, download: `tpgate-traffic-${stamp}.ndjson` });
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
