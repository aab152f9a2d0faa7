// The connection panel: the form, profiles in localStorage, and query
// parameters (?url=&username=&password=&clientId=&version=&acks=&gateway=&devices=&map=&api=)
// that prefill the form and connect at once (`map`: the URL of a device map
// file, fetched first). Once connected the form folds into a line of the
// header (broker, user, version) that unfolds it on demand.
import type { ConnectOptions, ConnectionState } from '../protocol';
import { deviceMapText, parseDeviceMap } from './devicemap';
import { $, h } from './dom';

type AckTopics = 'spec' | 'backend' | 'both';
const ackTopics = (v: string | null | undefined): AckTopics | null => (v === 'spec' || v === 'backend' || v === 'both' ? v : null);

const PROFILES_KEY = 'tpgate.dashboard.profiles';
const LAST_KEY = 'tpgate.dashboard.last';

export interface Profile {
  url: string;
  username: string;
  password?: string;
  clientId: string;
  version: '4' | '5';
  /** Which ack family the platform sends (docs/thingspanel.md#ack-family-by-version); absent in older profiles. */
  acks?: AckTopics;
  gateway: string;
  devices: string;
  /** The dev broker's HTTP API (its `api` line), for the registered devices; absent in older profiles. */
  api?: string;
}

const fields = {
  url: 'conn-url',
  username: 'conn-username',
  password: 'conn-password',
  clientId: 'conn-client-id',
  version: 'conn-version',
  acks: 'conn-acks',
  gateway: 'conn-gateway',
  devices: 'conn-devices',
  api: 'conn-api',
} as const;

function input(id: string): HTMLInputElement {
  return $<HTMLInputElement>(id);
}

function readStore<T>(key: string, fallback: T): T {
  try {
    const text = localStorage.getItem(key);
    return text === null ? fallback : (JSON.parse(text) as T);
  } catch {
    return fallback;
  }
}

function writeStore(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: profiles are a convenience */
  }
}

/** "id=dn" or "id:dn" pairs, one per line or comma separated. */
export function parseDeviceNumbers(text: string): Record<string, string> | { error: string } {
  const out: Record<string, string> = {};
  for (const part of text.split(/[\n,]/)) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([^=:]+)[=:](.+)$/.exec(p);
    if (!m) return { error: `Device numbers: '${p}' is not device_id=device_number` };
    out[m[1].trim()] = m[2].trim();
  }
  return out;
}

export class ConnectionPanel {
  private folded = false;
  /** Fold once per connect: a user who unfolds it while connected keeps it open across reconnects. */
  private foldOnConnect = false;
  private connectedWith: Profile | null = null;

  constructor(private readonly onConnect: (o: ConnectOptions, api: string) => void, private readonly onDisconnect: () => void) {
    $('conn-summary').addEventListener('click', () => (this.folded ? this.unfold(true) : this.fold()));
    $<HTMLInputElement>('conn-map-file').addEventListener('change', (e) => void this.loadMapFile(e.target as HTMLInputElement));
    $<HTMLFormElement>('conn-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.connect();
    });
    $('conn-disconnect').addEventListener('click', () => this.onDisconnect());
    $('profile-save').addEventListener('click', () => this.saveProfile());
    $('profile-delete').addEventListener('click', () => this.deleteProfile());
    $<HTMLSelectElement>('profile-select').addEventListener('change', (e) => {
      const name = (e.target as HTMLSelectElement).value;
      const p = this.profiles()[name];
      if (p) {
        this.write(p);
        input('profile-name').value = name;
      }
    });
    this.renderProfiles();
  }

  /** Reads a device map file into the Device numbers field (kept with the profile). */
  private async loadMapFile(el: HTMLInputElement): Promise<void> {
    const file = el.files?.[0];
    if (!file) return;
    const map = parseDeviceMap(await file.text(), file.name);
    el.value = '';
    if ('error' in map) {
      this.error(String(map.error));
      return;
    }
    $<HTMLTextAreaElement>(fields.devices).value = deviceMapText(map);
    this.error('');
    $('conn-map-status').textContent = `${Object.keys(map).length.toLocaleString('en')} device numbers from ${file.name}; they are saved with the profile and apply on the next connect.`;
  }

  /** Fetches the device map at `url` (relative to the page) into the Device numbers field; returns what went wrong, if anything. */
  private async loadMapUrl(url: string): Promise<string | null> {
    let text: string;
    const where = new URL(url, location.href).href;
    try {
      const res = await fetch(where, { headers: { accept: 'application/json, text/csv' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      return `Cannot read the device map ${where}: ${(err as Error).message}; gateways show by device_id.`;
    }
    const map = parseDeviceMap(text, new URL(where).pathname.split('/').pop() || where);
    if ('error' in map) return `${String(map.error)}; gateways show by device_id.`;
    $<HTMLTextAreaElement>(fields.devices).value = deviceMapText(map);
    $('conn-map-status').textContent = `${Object.keys(map).length.toLocaleString('en')} device numbers from ${where}`;
    return null;
  }

  /** Prefills from the query string (and connects) or from the last connection. Returns whether it connects. */
  start(): boolean {
    const q = new URLSearchParams(location.search);
    if (q.has('url')) {
      const map = q.get('map');
      const last = this.read();
      this.write({
        url: q.get('url') ?? '',
        username: q.get('username') ?? '',
        password: q.get('password') ?? '',
        clientId: q.get('clientId') ?? '',
        version: q.get('version') === '4' ? '4' : q.get('version') === '5' ? '5' : last.version,
        acks: ackTopics(q.get('acks')) ?? last.acks ?? 'spec',
        gateway: q.get('gateway') ?? '',
        devices: q.get('devices') ?? '',
        api: q.get('api') ?? '',
      });
      // A map that cannot be read is said, and the dashboard connects all the same.
      if (map) {
        void this.loadMapUrl(map).then((problem) => {
          this.connect();
          if (problem) this.error(problem);
        });
      }
      else this.connect();
      return true;
    }
    const last = readStore<Profile | null>(LAST_KEY, null);
    if (last) this.write(last);
    else input('conn-url').value = `ws://${location.hostname || '127.0.0.1'}:8083/mqtt`;
    return false;
  }

  read(): Profile {
    return {
      url: input(fields.url).value.trim(),
      username: input(fields.username).value,
      password: input(fields.password).value,
      clientId: input(fields.clientId).value.trim(),
      version: $<HTMLSelectElement>(fields.version).value === '5' ? '5' : '4',
      acks: ackTopics($<HTMLSelectElement>(fields.acks).value) ?? 'spec',
      gateway: input(fields.gateway).value.trim(),
      devices: $<HTMLTextAreaElement>(fields.devices).value,
      api: input(fields.api).value.trim(),
    };
  }

  write(p: Profile): void {
    input(fields.url).value = p.url;
    input(fields.username).value = p.username;
    input(fields.password).value = p.password ?? '';
    input(fields.clientId).value = p.clientId;
    $<HTMLSelectElement>(fields.version).value = p.version;
    $<HTMLSelectElement>(fields.acks).value = p.acks ?? 'spec';
    input(fields.gateway).value = p.gateway;
    $<HTMLTextAreaElement>(fields.devices).value = p.devices;
    input(fields.api).value = p.api ?? '';
    if (p.gateway || p.devices || p.api) ($('conn-panel').querySelector('details.advanced') as HTMLDetailsElement).open = true;
  }

  private error(text: string): void {
    $('conn-error').textContent = text;
  }

  connect(): void {
    const p = this.read();
    if (!/^wss?:\/\/[^/\s]+/.test(p.url)) {
      this.error('The broker URL must start with ws:// or wss:// (browsers speak MQTT over WebSocket only).');
      input(fields.url).setAttribute('aria-invalid', 'true');
      return;
    }
    input(fields.url).removeAttribute('aria-invalid');
    if (p.api && !/^https?:\/\/[^/\s]+/.test(p.api)) {
      this.error('The device API URL must start with http:// or https:// (the dev broker prints it as its api line).');
      input(fields.api).setAttribute('aria-invalid', 'true');
      return;
    }
    input(fields.api).removeAttribute('aria-invalid');
    const devices = parseDeviceNumbers(p.devices);
    if ('error' in devices) {
      this.error(String(devices.error));
      return;
    }
    this.error('');
    const { password: _password, ...withoutPassword } = p;
    writeStore(LAST_KEY, withoutPassword);
    this.connectedWith = p;
    this.foldOnConnect = true;
    const options: ConnectOptions = { url: p.url, protocolVersion: p.version === '5' ? 5 : 4, ackTopics: p.acks ?? 'spec' };
    if (p.username) options.username = p.username;
    if (p.password) options.password = p.password;
    if (p.clientId) options.clientId = p.clientId;
    if (p.gateway) options.defaultGateway = p.gateway;
    if (Object.keys(devices).length) options.deviceNumbers = devices as Record<string, string>;
    this.onConnect(options, p.api ?? '');
  }

  /** The connection's state: folds the form on connect, unfolds it when the connection fails or ends. */
  setState(state: ConnectionState): void {
    if (state === 'connected' && this.foldOnConnect) {
      this.foldOnConnect = false;
      this.fold();
    } else if (state === 'error' || state === 'closed' || state === 'idle') {
      this.foldOnConnect = false;
      this.unfold(false);
    }
    const p = this.connectedWith;
    const summary = $('conn-summary');
    summary.hidden = p === null || state === 'idle';
    if (p) {
      const text = `${p.url} · ${p.username || 'anonymous'} · MQTT ${p.version === '5' ? '5.0' : '3.1.1'}`;
      const label = $('conn-summary-text');
      if (label.textContent !== text) label.textContent = text;
    }
  }

  fold(): void {
    this.folded = true;
    $('conn-panel').hidden = true;
    $('conn-summary').setAttribute('aria-expanded', 'false');
  }

  unfold(focus: boolean): void {
    this.folded = false;
    const panel = $<HTMLDetailsElement>('conn-panel');
    panel.hidden = false;
    panel.open = true;
    $('conn-summary').setAttribute('aria-expanded', 'true');
    if (focus) $('conn-url').focus();
  }

  private profiles(): Record<string, Profile> {
    return readStore<Record<string, Profile>>(PROFILES_KEY, {});
  }

  private saveProfile(): void {
    const name = input('profile-name').value.trim();
    if (!name) {
      this.error('Name the profile first.');
      return;
    }
    const p = this.read();
    if (!$<HTMLInputElement>('profile-password').checked) delete p.password;
    const all = this.profiles();
    all[name] = p;
    writeStore(PROFILES_KEY, all);
    this.renderProfiles(name);
    this.error('');
  }

  private deleteProfile(): void {
    const name = $<HTMLSelectElement>('profile-select').value;
    if (!name) return;
    const all = this.profiles();
    delete all[name];
    writeStore(PROFILES_KEY, all);
    this.renderProfiles('');
  }

  private renderProfiles(selected?: string): void {
    const select = $<HTMLSelectElement>('profile-select');
    const current = selected ?? select.value;
    select.replaceChildren(h('option', { value: '' }, '(new)'), ...Object.keys(this.profiles()).sort().map((n) => h('option', { value: n }, n)));
    select.value = current;
  }
}
