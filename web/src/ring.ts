// Fixed-capacity ring buffers: the dashboard's memory stays bounded however
// long it runs and however fast gateways report. Both grow to their capacity
// as items come (a fleet of 10,000 gateways has 50,000 nodes, most of which
// never fill a ring), and numeric points share one budget across all series.

/** The last `capacity` items pushed. */
export class Ring<T> {
  private items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th item, oldest first; undefined past the end. */
  at(i: number): T | undefined {
    const n = this.items.length;
    return i >= 0 && i < n ? this.items[(this.start + i) % n] : undefined;
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.start === 0 ? this.items.slice() : this.items.slice(this.start).concat(this.items.slice(0, this.start));
  }

  /** Newest first, at most `limit`. */
  newest(limit: number): T[] {
    const size = this.items.length;
    const n = Math.min(limit, size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.items[(this.start + size - 1 - i) % size];
    return out;
  }

  clear(): void {
    this.items = [];
    this.start = 0;
  }
}

/**
 * How many points all PointRings together may hold (16 bytes each). A ring
 * starts with room for MIN_POINTS; when that is full it grows once, to its
 * share (budget / series, at most its capacity) if the budget has that much
 * left; from then on it keeps its newest points in the room it has. So a
 * series' memory is fixed within a second or so of its first points.
 */
export class PointBudget {
  allocated = 0;
  series = 0;
  constructor(readonly points: number) {}

  /** Points a series may hold now. */
  share(): number {
    return Math.max(MIN_POINTS, Math.floor(this.points / Math.max(1, this.series)));
  }

  /** May a ring of `capacity` grow by `more`? */
  grant(capacity: number, more: number): boolean {
    if (capacity + more > this.share() || this.allocated + more > this.points) return false;
    this.allocated += more;
    return true;
  }

  reset(): void {
    this.allocated = 0;
    this.series = 0;
  }
}

const MIN_POINTS = 16;

/** Numeric points (time in seconds, value) in two typed arrays, at most `capacity`. */
export class PointRing {
  private t: Float64Array;
  private v: Float64Array;
  private start = 0;
  private size = 0;
  /** Refused room once: shares only shrink as series come, so it is never asked again. */
  private capped = false;

  constructor(readonly capacity: number, private readonly budget: PointBudget | null = null) {
    const first = Math.min(MIN_POINTS, capacity);
    if (budget) {
      budget.series++;
      budget.allocated += first;
    }
    this.t = new Float64Array(first);
    this.v = new Float64Array(first);
  }

  private grow(): boolean {
    const room = this.t.length;
    const next = this.budget ? Math.min(this.capacity, this.budget.share()) : this.capacity;
    // One step, then never again: the share only shrinks as series come.
    this.capped = true;
    if (next <= room || (this.budget && !this.budget.grant(room, next - room))) return false;
    // Unroll into order while copying: start becomes 0.
    const t = new Float64Array(next);
    const v = new Float64Array(next);
    for (let k = 0; k < this.size; k++) {
      const i = (this.start + k) % room;
      t[k] = this.t[i];
      v[k] = this.v[i];
    }
    this.t = t;
    this.v = v;
    this.start = 0;
    return true;
  }

  push(t: number, v: number): void {
    if (this.size === this.t.length && !this.capped) this.grow();
    const room = this.t.length;
    const i = (this.start + this.size) % room;
    if (this.size < room) this.size++;
    else this.start = (this.start + 1) % room;
    this.t[i] = t;
    this.v[i] = v;
  }

  /** Copies, oldest first, sorted by time (historical records may arrive out of order). */
  snapshot(): { t: Float64Array; v: Float64Array } {
    const room = this.t.length;
    const t = new Float64Array(this.size);
    const v = new Float64Array(this.size);
    let sorted = true;
    for (let k = 0; k < this.size; k++) {
      const i = (this.start + k) % room;
      t[k] = this.t[i];
      v[k] = this.v[i];
      if (k > 0 && t[k] < t[k - 1]) sorted = false;
    }
    if (sorted) return { t, v };
    const order = Array.from(t.keys()).sort((a, b) => t[a] - t[b]);
    return { t: Float64Array.from(order, (i) => t[i]), v: Float64Array.from(order, (i) => v[i]) };
  }
}
