// Fixed-capacity ring buffers: the dashboard's memory stays bounded however
// long it runs and however fast gateways report.

/** The last `capacity` items pushed. */
export class Ring<T> {
  private items: (T | undefined)[];
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = item;
      this.size++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th item, oldest first; undefined past the end. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.size ? this.items[(this.start + i) % this.capacity] : undefined;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.start + i) % this.capacity] as T;
    return out;
  }

  /** Newest first, at most `limit`. */
  newest(limit: number): T[] {
    const n = Math.min(limit, this.size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.items[(this.start + this.size - 1 - i) % this.capacity] as T;
    return out;
  }

  clear(): void {
    this.items = new Array<T | undefined>(this.capacity);
    this.start = 0;
    this.size = 0;
  }
}

/** Numeric points (time in seconds, value) in two typed arrays. */
export class PointRing {
  private t: Float64Array;
  private v: Float64Array;
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.t = new Float64Array(capacity);
    this.v = new Float64Array(capacity);
  }

  push(t: number, v: number): void {
    const i = (this.start + this.size) % this.capacity;
    if (this.size < this.capacity) this.size++;
    else this.start = (this.start + 1) % this.capacity;
    this.t[i] = t;
    this.v[i] = v;
  }

  /** Copies, oldest first, sorted by time (historical records may arrive out of order). */
  snapshot(): { t: Float64Array; v: Float64Array } {
    const t = new Float64Array(this.size);
    const v = new Float64Array(this.size);
    let sorted = true;
    for (let k = 0; k < this.size; k++) {
      const i = (this.start + k) % this.capacity;
      t[k] = this.t[i];
      v[k] = this.v[i];
      if (k > 0 && t[k] < t[k - 1]) sorted = false;
    }
    if (sorted) return { t, v };
    const order = Array.from(t.keys()).sort((a, b) => t[a] - t[b]);
    return { t: Float64Array.from(order, (i) => t[i]), v: Float64Array.from(order, (i) => v[i]) };
  }
}
