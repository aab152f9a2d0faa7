// Live charts of a device's numeric telemetry keys: one small uPlot per key,
// created when a key first appears and fed with setData() afterwards.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SeriesData } from '../protocol';
import { h } from './dom';

const MAX_CHARTS = 8;
const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export class Charts {
  private plots = new Map<string, uPlot>();
  private deviceId: string | null = null;

  constructor(private readonly container: HTMLElement, private readonly empty: HTMLElement) {}

  private width(): number {
    return Math.max(240, Math.min(560, this.container.clientWidth - 8));
  }

  /** Shows `series` of device `id` (a different device clears the charts). */
  update(id: string, series: SeriesData[]): void {
    if (id !== this.deviceId) this.clear(id);
    for (const s of series.slice(0, MAX_CHARTS)) {
      let plot = this.plots.get(s.key);
      const data: uPlot.AlignedData = [s.t, s.v];
      if (!plot) {
        const color = COLORS[this.plots.size % COLORS.length];
        const box = h('figure', { class: 'chart' });
        this.container.append(box);
        plot = new uPlot(
          {
            width: this.width(),
            height: 140,
            legend: { show: true, live: false },
            cursor: { drag: { x: false, y: false } },
            scales: { x: { time: true } },
            series: [{}, { label: s.key, stroke: color, width: 1.5, points: { show: false } }],
            axes: [{ size: 28 }, { size: 48 }],
          },
          data,
          box,
        );
        this.plots.set(s.key, plot);
      } else {
        plot.setData(data);
      }
    }
    this.empty.hidden = this.plots.size > 0;
  }

  clear(id: string | null): void {
    for (const plot of this.plots.values()) plot.destroy();
    this.plots.clear();
    this.container.replaceChildren();
    this.deviceId = id;
    this.empty.hidden = false;
  }

  resize(): void {
    const width = this.width();
    for (const plot of this.plots.values()) plot.setSize({ width, height: 140 });
  }
}
