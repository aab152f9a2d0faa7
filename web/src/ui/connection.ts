// The connection panel: the form, profiles in localStorage, and query
// parameters (?url=&username=&password=&clientId=&version=&acks=&gateway=&devices=&api=)
// that prefill the form and connect at once.
import type { ConnectOptions } from '../protocol';
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
  constructor(private readonly onConnect: (o: ConnectOptions, api: string) => void, private readonly onDisconnect: () => void) {
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

  /** Prefills from the query string (and connects) or from the last connection. Returns whether it connects. */
  start(): boolean {
    const q = new URLSearchParams(location.search);
    if (q.has('url')) {
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
      this.connect();
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
    const options: ConnectOptions = { url: p.url, protocolVersion: p.version === '5' ? 5 : 4, ackTopics: p.acks ?? 'spec' };
    if (p.username) options.username = p.username;
    if (p.password) options.password = p.password;
    if (p.clientId) options.clientId = p.clientId;
    if (p.gateway) options.defaultGateway = p.gateway;
    if (Object.keys(devices).length) options.deviceNumbers = devices as Record<string, string>;
    this.onConnect(options, p.api ?? '');
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
