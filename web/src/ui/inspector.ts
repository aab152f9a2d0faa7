// The payload inspector: one raw message in a modal dialog: topic, QoS,
// retain, size, the broker's envelope decoded, the payload as a JSON tree
// (or text, or hex for binary), and copy buttons. Device strings stay text.
import type { InspectedMessage } from '../protocol';
import { $, fill, h, timeText } from './dom';

/** Nodes of a JSON tree drawn at most; the rest is summarised. */
const MAX_TREE_NODES = 4000;
/** Bytes of a binary payload shown as hex. */
const MAX_HEX_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function textOf(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Offset, 16 bytes in hex, and their printable ASCII: one line per 16 bytes. */
export function hexDump(bytes: Uint8Array, max = MAX_HEX_BYTES): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i += 16) {
    const row = bytes.subarray(i, Math.min(i + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}

/** A JSON value as a tree of <details> (objects and arrays open two levels deep). */
export function jsonTree(value: unknown): HTMLElement {
  let budget = MAX_TREE_NODES;
  const leaf = (v: unknown): HTMLElement => {
    const type = v === null ? 'null' : typeof v;
    return h('span', { class: `json-${type}` }, typeof v === 'string' ? JSON.stringify(v) : String(v));
  };
  const node = (key: string | null, v: unknown, depth: number): HTMLElement => {
    budget--;
    const label = key === null ? null : h('span', { class: 'json-key' }, key);
    if (v === null || typeof v !== 'object') return h('li', {}, label, label && ': ', leaf(v));
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
    const summary = Array.isArray(v) ? `[${entries.length}]` : `{${entries.length}}`;
    const list = h('ul', { class: 'json-list' });
    for (const [k, x] of entries) {
      if (budget <= 0) {
        list.append(h('li', { class: 'muted' }, `… the rest is not drawn (over ${MAX_TREE_NODES} values): copy the payload to see it all`));
        break;
      }
      list.append(node(Array.isArray(v) ? null : k, x, depth + 1));
    }
    const details = h('details', {}, h('summary', {}, label, label && ': ', h('span', { class: 'muted' }, summary)), list);
    details.open = depth < 2;
    return h('li', {}, details);
  };
  return h('ul', { class: 'json-tree' }, node(null, value, 0));
}

interface Shown {
  kind: 'json' | 'text' | 'hex';
  text: string;
  value?: unknown;
}

function show(bytes: Uint8Array): Shown {
  const text = textOf(bytes);
  if (text === null) return { kind: 'hex', text: hexDump(bytes) };
  try {
    const value: unknown = JSON.parse(text);
    return { kind: 'json', text, value };
  } catch {
    return { kind: 'text', text };
  }
}

export class Inspector {
  private readonly dialog = $<HTMLDialogElement>('inspector');
  private copies = new Map<string, string>();

  constructor() {
    $('insp-close').addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('click', (e) => {
      const button = (e.target as Element).closest<HTMLElement>('[data-copy]');
      if (button) void this.copy(button.dataset.copy!);
    });
  }

  /** Opens the dialog at once (with a waiting line) and fills it when the message comes. */
  opening(what: string): void {
    $('insp-title').textContent = what;
    fill($('insp-meta'));
    fill($('insp-body'), h('p', { class: 'muted' }, 'Loading…'));
    $('insp-status').textContent = '';
    if (!this.dialog.open) this.dialog.showModal();
  }

  failed(message: string): void {
    fill($('insp-body'), h('p', { class: 'error', role: 'alert' }, message));
  }

  show(m: InspectedMessage): void {
    this.copies.clear();
    const meta: [string, string][] = [
      ['Time', `${new Date(m.ts).toISOString().slice(0, 10)} ${timeText(m.ts)}`],
      ['Direction', m.direction === 'in' ? 'in (received)' : 'out (published)'],
      ['Topic', m.topic],
      ['QoS', String(m.qos)],
      ['Retain', m.retain ? 'yes' : 'no'],
      ['Size', `${m.size.toLocaleString('en')} bytes`],
      ['Device', m.device || '(none)'],
    ];
    fill($('insp-meta'), ...meta.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-field': k.toLowerCase() }, v)]));
    this.copies.set('topic', m.topic);
    const body: HTMLElement[] = [];
    const wire = show(m.payload);
    if (m.envelope) {
      body.push(
        h('h4', {}, "Broker's envelope"),
        h('dl', { class: 'meta envelope', id: 'insp-envelope' },
          h('dt', {}, 'device_id'), h('dd', {}, m.envelope.deviceId),
          h('dt', {}, 'device_number'), h('dd', {}, m.envelope.deviceNumber ?? '(not known: load a device map)'),
          h('dt', {}, 'values'), h('dd', {}, m.envelope.values ? `${m.envelope.values.length} bytes, base64: decoded below` : 'not valid base64'),
        ),
      );
    }
    const inner = m.envelope?.values ?? null;
    const payload = inner ? show(inner) : wire;
    body.push(h('h4', {}, inner ? "Payload (the device's own, from the envelope)" : 'Payload'));
    body.push(h('p', { class: 'hint muted', id: 'insp-kind' }, payload.kind === 'json' ? 'JSON' : payload.kind === 'text' ? 'text (not JSON)' : 'binary (not UTF-8): hex'));
    if (payload.kind === 'json') body.push(h('div', { class: 'json', id: 'insp-json' }, jsonTree(payload.value)));
    else body.push(h('pre', { class: 'output', id: payload.kind === 'hex' ? 'insp-hex' : 'insp-text' }, payload.text));
    if (m.truncated) body.push(h('p', { class: 'hint muted' }, `The first ${m.payload.length.toLocaleString('en')} bytes of ${m.size.toLocaleString('en')} are shown.`));
    this.copies.set('payload', payload.kind === 'json' ? JSON.stringify(payload.value, null, 2) : payload.text);
    this.copies.set('raw', wire.text);
    const buttons = [
      h('button', { type: 'button', 'data-copy': 'topic' }, 'Copy topic'),
      h('button', { type: 'button', 'data-copy': 'payload' }, inner ? 'Copy payload (decoded)' : 'Copy payload'),
    ];
    if (inner) buttons.push(h('button', { type: 'button', 'data-copy': 'raw' }, 'Copy raw (as on the wire)'));
    fill($('insp-copy'), ...buttons);
    fill($('insp-body'), ...body);
  }

  private async copy(which: string): Promise<void> {
    const text = this.copies.get(which) ?? '';
    const status = $('insp-status');
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = `Copied the ${which} (${text.length.toLocaleString('en')} characters).`;
      status.dataset.state = 'success';
    } catch (err) {
      status.textContent = `Could not copy (${(err as Error).message}): select the text and press Ctrl+C.`;
      status.dataset.state = 'failure';
    }
  }
}
