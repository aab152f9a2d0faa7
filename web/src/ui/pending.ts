// "Not yet active": devices registered over the dev broker's device API
// (POST /api/v1/device/auth, docs/thingspanel.md#self-registration) that never
// connected. The list comes from the broker's GET /api/v1/tpgate/devices,
// polled while the dashboard is connected; device strings stay text.
import { $, fill, h } from './dom';

interface ApiDevice {
  device_id: string;
  device_number: string;
  type?: string;
  registered: boolean;
  connected_ever: boolean;
  parent_device_number?: string;
}

export class PendingDevices {
  private timer: ReturnType<typeof setInterval> | null = null;
  private api = '';
  private generation = 0;

  constructor(private readonly everyMs = 3000) {}

  /** Starts polling `api` (empty: stops and hides the list). */
  watch(api: string): void {
    this.stop();
    this.api = api.replace(/\/+$/, '');
    if (!this.api) return;
    $('pending-card').hidden = false;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.everyMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.generation++;
    $('pending-card').hidden = true;
  }

  private async poll(): Promise<void> {
    const mine = this.generation;
    const url = `${this.api}/api/v1/tpgate/devices`;
    let devices: ApiDevice[];
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' } });
      const body = (await res.json()) as { code?: number; message?: string; data?: { devices?: ApiDevice[] } };
      if (!res.ok || body.code !== 200 || !Array.isArray(body.data?.devices)) {
        throw new Error(body.message ? `${body.message} (code ${body.code})` : `HTTP ${res.status}`);
      }
      devices = body.data.devices;
    } catch (err) {
      if (mine !== this.generation) return;
      $('pending-error').textContent = `Cannot read ${url}: ${(err as Error).message}`;
      return;
    }
    if (mine !== this.generation) return;
    $('pending-error').textContent = '';
    const waiting = devices.filter((d) => d.registered && !d.connected_ever);
    $('pending-count').textContent = String(waiting.length);
    const list = $('pending-list');
    const items = waiting.map((d) => {
      const under = d.parent_device_number ? ` under ${d.parent_device_number}` : '';
      return h('li', { class: 'pending-item', 'data-device-id': d.device_id },
        h('span', { class: 'name' }, d.device_number), h('span', { class: 'muted' }, ` ${d.type ?? 'device'}${under}, not yet active`));
    });
    fill(list, ...(items.length ? items : [h('li', { class: 'muted' }, 'none')]));
  }
}
