// The gateway / device tree: a virtualised, keyboard-navigable ARIA tree.
// Only the rows inside the scroll viewport exist in the DOM, so a fleet of
// thousands of devices costs no more to draw than a dozen. Names sort
// naturally (gw-2 before gw-10).
import { naturalKey, type NodeInfo } from '../protocol';
import { agoText, h, setAttr, setText } from './dom';
import { statusLabel, statusOf } from './status';

export const ROW_HEIGHT = 26;
const REDRAW_MS = 250;
// Top-level gateways start expanded while there are fewer than this many;
// everything below a gateway starts expanded (opening a gateway shows it all).
const AUTO_EXPAND_GATEWAYS_BELOW = 20;

interface Row {
  id: string;
  level: number;
  posinset: number;
  setsize: number;
}

const kindOrder = { gateway: 0, device: 1, subgateway: 2 } as const;

export class Tree {
  readonly infos = new Map<string, NodeInfo>();
  private children = new Map<string, string[]>(); // parent id ('' = roots) -> child ids, sorted
  private unsorted = new Set<string>();
  private expanded = new Set<string>();
  private keys = new Map<string, string>();
  /** What new nodes do: 'auto' (below AUTO_EXPAND_GATEWAYS_BELOW gateways, open), or what Expand all / Collapse all said last. */
  private autoExpand: 'auto' | 'all' | 'none' = 'auto';
  private rows: Row[] = [];
  private rowIndex = new Map<string, number>();
  private structureDirty = true;
  private filter = '';
  private pool: HTMLElement[] = [];
  // Under load the rows change every batch (counts, last seen); they are
  // redrawn at most every REDRAW_MS unless the user did something.
  private urgent = true;
  private viewKey = '';
  private drawnAt = 0;
  active: string | null = null;
  selected: string | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly spacer: HTMLElement,
    private readonly onSelect: (id: string) => void,
    private readonly onChange: () => void,
    /** The ids of the rows drawn (and the selected one), when they change. */
    private readonly onView: (ids: string[]) => void = () => {},
  ) {
    container.addEventListener('keydown', (e) => this.key(e));
    container.addEventListener('scroll', () => this.changed());
    container.addEventListener('click', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('[data-node]');
      if (!row) return;
      const id = row.dataset.node!;
      if ((e.target as Element).closest('.caret')) this.toggle(id);
      this.active = id;
      this.select(id);
      container.focus();
    });
    container.addEventListener('focus', () => {
      if (this.active === null && this.rows.length > 0) this.active = this.rows[0].id;
      this.changed();
    });
  }

  update(nodes: NodeInfo[], reset: boolean): void {
    if (reset) {
      this.infos.clear();
      this.children.clear();
      this.expanded.clear();
      this.keys.clear();
      this.autoExpand = 'auto';
      this.viewKey = '';
      this.active = null;
      this.selected = null;
      this.structureDirty = true;
      this.urgent = true;
    }
    for (const info of nodes) {
      const isNew = !this.infos.has(info.id);
      this.infos.set(info.id, info);
      if (!isNew) continue;
      this.keys.set(info.id, naturalKey(info.name));
      const parent = info.parent ?? '';
      let list = this.children.get(parent);
      if (!list) this.children.set(parent, (list = []));
      list.push(info.id);
      this.unsorted.add(parent);
      const open =
        this.autoExpand === 'all' ||
        (this.autoExpand === 'auto' && (info.kind !== 'gateway' || (this.children.get('')?.length ?? 0) <= AUTO_EXPAND_GATEWAYS_BELOW));
      if (open) this.expanded.add(info.id);
      this.structureDirty = true;
    }
  }

  setFilter(text: string): void {
    this.filter = text.trim().toLowerCase();
    this.structureDirty = true;
    this.changed();
  }

  /** Something the user did: redraw on the next frame. */
  private changed(): void {
    this.urgent = true;
    this.onChange();
  }

  private sortChildren(): void {
    for (const parent of this.unsorted) {
      this.children.get(parent)?.sort((a, b) => {
        const x = this.infos.get(a)!;
        const y = this.infos.get(b)!;
        const kx = this.keys.get(a)!;
        const ky = this.keys.get(b)!;
        return kindOrder[x.kind] - kindOrder[y.kind] || (kx < ky ? -1 : kx > ky ? 1 : a < b ? -1 : a > b ? 1 : 0);
      });
    }
    this.unsorted.clear();
  }

  private flatten(): void {
    this.sortChildren();
    const rows: Row[] = [];
    let keep: Set<string> | null = null;
    if (this.filter) {
      keep = new Set();
      for (const info of this.infos.values()) {
        if (!info.name.toLowerCase().includes(this.filter)) continue;
        for (let id: string | null = info.id; id !== null && !keep.has(id); id = this.infos.get(id)?.parent ?? null) keep.add(id);
      }
    }
    const walk = (parent: string, level: number) => {
      const list = (this.children.get(parent) ?? []).filter((id) => keep === null || keep.has(id));
      list.forEach((id, i) => {
        rows.push({ id, level, posinset: i + 1, setsize: list.length });
        if (keep !== null || this.expanded.has(id)) walk(id, level + 1);
      });
    };
    walk('', 1);
    this.rows = rows;
    this.rowIndex = new Map(rows.map((r, i) => [r.id, i]));
    this.structureDirty = false;
  }

  private hasChildren(id: string): boolean {
    return (this.children.get(id)?.length ?? 0) > 0;
  }

  toggle(id: string, open?: boolean): void {
    const isOpen = this.expanded.has(id);
    if (open === undefined ? isOpen : !open) this.expanded.delete(id);
    else this.expanded.add(id);
    this.structureDirty = true;
    this.changed();
  }

  /** Opens every node (and those that come later), or closes them all. */
  setAllExpanded(open: boolean): void {
    this.autoExpand = open ? 'all' : 'none';
    this.expanded.clear();
    if (open) for (const [parent, list] of this.children) if (parent !== '' && list.length > 0) this.expanded.add(parent);
    this.structureDirty = true;
    this.changed();
  }

  /** Opens the node's ancestors and scrolls it into view. */
  reveal(id: string): void {
    for (let p = this.infos.get(id)?.parent ?? null; p !== null; p = this.infos.get(p)?.parent ?? null) this.expanded.add(p);
    this.flatten();
    const i = this.rowIndex.get(id);
    if (i !== undefined) {
      this.active = id;
      const top = i * ROW_HEIGHT;
      const c = this.container;
      if (top < c.scrollTop || top + ROW_HEIGHT > c.scrollTop + c.clientHeight) c.scrollTop = Math.max(0, top - c.clientHeight / 2);
    }
    this.changed();
  }

  select(id: string): void {
    this.selected = id;
    this.onSelect(id);
    this.changed();
  }

  private move(to: number): void {
    if (this.rows.length === 0) return;
    const i = Math.max(0, Math.min(this.rows.length - 1, to));
    this.active = this.rows[i].id;
    const top = i * ROW_HEIGHT;
    if (top < this.container.scrollTop) this.container.scrollTop = top;
    else if (top + ROW_HEIGHT > this.container.scrollTop + this.container.clientHeight) {
      this.container.scrollTop = top + ROW_HEIGHT - this.container.clientHeight;
    }
    this.changed();
  }

  private key(e: KeyboardEvent): void {
    if (this.structureDirty) this.flatten();
    const i = this.active !== null ? (this.rowIndex.get(this.active) ?? -1) : -1;
    const id = i >= 0 ? this.rows[i].id : null;
    switch (e.key) {
      case 'ArrowDown':
        this.move(i + 1);
        break;
      case 'ArrowUp':
        this.move(i < 0 ? 0 : i - 1);
        break;
      case 'Home':
        this.move(0);
        break;
      case 'End':
        this.move(this.rows.length - 1);
        break;
      case 'ArrowRight':
        if (id === null) this.move(0);
        else if (this.hasChildren(id) && !this.expanded.has(id)) this.toggle(id, true);
        else if (this.hasChildren(id)) this.move(i + 1);
        break;
      case 'ArrowLeft':
        if (id === null) break;
        if (this.hasChildren(id) && this.expanded.has(id) && !this.filter) this.toggle(id, false);
        else {
          const parent = this.infos.get(id)?.parent;
          const p = parent ? this.rowIndex.get(parent) : undefined;
          if (p !== undefined) this.move(p);
        }
        break;
      case 'Enter':
      case ' ':
        if (id !== null) this.select(id);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /**
   * Draws the rows inside the viewport. Row elements are reused and only what
   * changed is written, so a frame under load touches a handful of text nodes
   * and the browser re-lays out little.
   */
  render(now: number): void {
    if (!this.urgent && now - this.drawnAt < REDRAW_MS) return;
    this.urgent = false;
    this.drawnAt = now;
    if (this.structureDirty) this.flatten();
    const c = this.container;
    const height = `${this.rows.length * ROW_HEIGHT}px`;
    if (this.spacer.style.height !== height) this.spacer.style.height = height;
    const first = Math.max(0, Math.floor(c.scrollTop / ROW_HEIGHT) - 4);
    const last = Math.min(this.rows.length, Math.ceil((c.scrollTop + c.clientHeight) / ROW_HEIGHT) + 4);
    while (this.pool.length < last - first) {
      const el = h(
        'div',
        { role: 'treeitem' },
        h('span', { class: 'caret', 'aria-hidden': 'true' }),
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        h('span', { class: 'name' }),
        h('span', { class: 'kind', 'aria-hidden': 'true' }),
        h('span', { class: 'count', 'aria-hidden': 'true' }),
        h('span', { class: 'seen', 'aria-hidden': 'true' }),
      );
      this.pool.push(el);
    }
    let activeElementId = '';
    const used: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.rows[i];
      const info = this.infos.get(row.id)!;
      const el = this.pool[i - first];
      used.push(el);
      const status = statusOf(info, this.infos, now);
      const open = this.hasChildren(row.id) ? String(this.filter !== '' || this.expanded.has(row.id)) : null;
      const elementId = `tree-row-${i}`;
      if (row.id === this.active) activeElementId = elementId;
      const kind = info.kind === 'device' ? 'device' : info.kind === 'gateway' ? 'gateway' : 'sub-gateway';
      const seen = info.lastSeen ? agoText(now - info.lastSeen) : '';
      setAttr(el, 'id', elementId);
      setAttr(el, 'class', `tree-row${row.id === this.active ? ' active' : ''}${row.id === this.selected ? ' selected' : ''}`);
      setAttr(el, 'aria-level', String(row.level));
      setAttr(el, 'aria-posinset', String(row.posinset));
      setAttr(el, 'aria-setsize', String(row.setsize));
      setAttr(el, 'aria-expanded', open);
      setAttr(el, 'aria-selected', String(row.id === this.selected));
      setAttr(el, 'aria-label', `${info.name}, ${kind}, ${statusLabel(status)}, ${info.count} messages, last seen ${seen || 'never'}`);
      setAttr(el, 'data-node', row.id);
      setAttr(el, 'data-status', status);
      const [caret, dot, name, kindEl, count, seenEl] = el.children as unknown as HTMLElement[];
      setText(caret, open === null ? '' : open === 'true' ? '▾' : '▸');
      setAttr(dot, 'class', `dot ${status}`);
      setText(name, info.name || '(unknown gateway)');
      setAttr(kindEl, 'class', `kind ${info.kind}`);
      setText(kindEl, kind);
      setText(count, String(info.count));
      setText(seenEl, seen);
      const top = `${i * ROW_HEIGHT}px`;
      if (el.style.top !== top) el.style.top = top;
      const pad = `${(row.level - 1) * 16 + 4}px`;
      if (el.style.paddingLeft !== pad) el.style.paddingLeft = pad;
    }
    // Same rows in the same order: nothing to move.
    const children = this.spacer.children;
    let same = children.length === used.length;
    for (let i = 0; same && i < used.length; i++) same = children[i] === used[i];
    if (!same) this.spacer.replaceChildren(...used);
    const ids = this.rows.slice(first, last).map((r) => r.id);
    if (this.selected !== null) ids.push(this.selected);
    const key = ids.join('\n');
    if (key !== this.viewKey) {
      this.viewKey = key;
      this.onView(ids);
    }
    if (activeElementId) setAttr(c, 'aria-activedescendant', activeElementId);
    else c.removeAttribute('aria-activedescendant');
  }

  get rowCount(): number {
    return this.rows.length;
  }
}
