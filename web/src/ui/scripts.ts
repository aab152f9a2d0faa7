// The Scripts view: device configurations with ThingsPanel data scripts (Lua,
// `function encodeInp(msg, topic)`), kept in localStorage beside the
// connection profiles; an editor per script; runs in the worker on a
// gateway's last raw message or on pasted input; enabling applies the
// configuration's scripts to the worker's platform client. Script output and
// device strings are text: they reach the page through textContent only.
import {
  SCRIPT_TYPES,
  type ScriptConfiguration,
  type ScriptFailure,
  type ScriptInput,
  type ScriptRunResult,
  type ScriptsAppliedMessage,
  type ScriptSlot,
  type ScriptType,
} from '../protocol';
import { $, fill, h } from './dom';

const STORE_KEY = 'tpgate.dashboard.scripts';

export const DEFAULT_SCRIPT = `local json = require("json")
function encodeInp(msg, topic)
  local data = json.decode(msg)
  -- change data here
  return json.encode(data)
end
`;

const TYPE_LABELS: Record<ScriptType, string> = {
  telemetry_up: 'Telemetry up (gateway/telemetry)',
  telemetry_down: 'Telemetry down (control)',
  attributes_up: 'Attributes up (reports)',
  attributes_down: 'Attributes down (set / get)',
  command_down: 'Command down',
  event_up: 'Event up',
};

interface Store {
  configurations: ScriptConfiguration[];
  current: string;
}

/** A gateway as the tree knows it: the sender's id and the name shown (its device_number when known). */
export interface GatewaySeen {
  id: string;
  name: string;
}

export interface ScriptsHost {
  run(source: string, scriptType: ScriptType, name: string, input: ScriptInput): Promise<ScriptRunResult>;
  apply(configurations: ScriptConfiguration[]): Promise<ScriptsAppliedMessage>;
  gateways(): GatewaySeen[];
}

function readStore(): Store {
  try {
    const text = localStorage.getItem(STORE_KEY);
    if (text !== null) {
      const store = JSON.parse(text) as Store;
      if (Array.isArray(store.configurations)) {
        const configurations = store.configurations.map((c) => normalize(c)).filter((c) => c !== null);
        return { configurations, current: String(store.current ?? '') };
      }
    }
  } catch {
    /* a broken store starts over */
  }
  return { configurations: [{ id: 'default', scripts: {}, devices: [] }], current: 'default' };
}

/**
 * A configuration from the store or a configurations file. A script is
 * {"content": "<Lua>", "enabled"} as in the file ("source" is read too, and a
 * bare string is an enabled script); "enabled" defaults to true. A script that
 * names a "file" cannot be read by a page: that throws.
 */
function normalize(value: unknown, where = 'configuration'): ScriptConfiguration | null {
  if (value === null || typeof value !== 'object') return null;
  const v = value as { id?: unknown; scripts?: unknown; devices?: unknown };
  if (typeof v.id !== 'string' || v.id === '') return null;
  const scripts: ScriptConfiguration['scripts'] = {};
  if (v.scripts !== null && typeof v.scripts === 'object') {
    for (const type of SCRIPT_TYPES) {
      const s = (v.scripts as Record<string, unknown>)[type];
      if (typeof s === 'string') {
        scripts[type] = { source: s, enabled: true };
        continue;
      }
      if (s === null || typeof s !== 'object') continue;
      const slot = s as { content?: unknown; source?: unknown; file?: unknown; enabled?: unknown };
      const source = typeof slot.content === 'string' ? slot.content : typeof slot.source === 'string' ? slot.source : null;
      if (source === null) {
        if (typeof slot.file === 'string') {
          throw new Error(`${where} ${v.id}: the ${type} script names the file "${slot.file}", which a page cannot read: put the Lua in "content"`);
        }
        continue;
      }
      scripts[type] = { source, enabled: slot.enabled !== false };
    }
  }
  const devices = Array.isArray(v.devices) ? v.devices.filter((d): d is string => typeof d === 'string' && d !== '') : [];
  return { id: v.id, scripts, devices };
}

/**
 * A configurations file's content ({configurations: [{id, scripts}], devices:
 * [{device_number | device_id, configuration}]}) as the dashboard's
 * configurations; throws with a message saying what is wrong.
 */
export function parseConfigurationsFile(text: string): ScriptConfiguration[] {
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  if (file === null || typeof file !== 'object' || !Array.isArray((file as { configurations?: unknown }).configurations)) {
    throw new Error('expected {"configurations": [...], "devices": [...]}');
  }
  const out: ScriptConfiguration[] = [];
  for (const [i, c] of ((file as { configurations: unknown[] }).configurations).entries()) {
    const conf = normalize({ ...(c as object), devices: [] }, `configurations[${i}]`);
    if (!conf) throw new Error(`configurations[${i}] has no id`);
    out.push(conf);
  }
  const devices = (file as { devices?: unknown }).devices;
  if (Array.isArray(devices)) {
    for (const d of devices) {
      if (d === null || typeof d !== 'object') continue;
      const { device_number: dn, device_id: id, configuration } = d as Record<string, unknown>;
      const name = typeof dn === 'string' && dn ? dn : typeof id === 'string' && id ? id : null;
      const conf = out.find((c) => c.id === configuration);
      if (name && conf && !conf.devices.includes(name)) conf.devices.push(name);
    }
  }
  return out;
}

/**
 * The configurations file of the dashboard's configurations: each script as
 * {"content", "enabled"}, each gateway that uses one as {"device_id"?,
 * "device_number", "configuration"} (the device_id when the tree knows it).
 */
export function configurationsFile(configs: ScriptConfiguration[], gateways: GatewaySeen[] = []): string {
  const device = (d: string, configuration: string) => {
    const seen = gateways.find((g) => g.name === d || g.id === d);
    if (seen && seen.id !== seen.name) return { device_id: seen.id, device_number: seen.name, configuration };
    return { device_number: d, configuration };
  };
  return `${JSON.stringify(
    {
      configurations: configs.map((c) => ({
        id: c.id,
        scripts: Object.fromEntries(Object.entries(c.scripts).map(([type, slot]) => [type, { content: slot.source, enabled: slot.enabled }])),
      })),
      devices: configs.flatMap((c) => c.devices.map((d) => device(d, c.id))),
    },
    null,
    2,
  )}\n`;
}

function failureText(f: ScriptFailure): string {
  const parts = [f.kind ? `${f.kind} error` : f.code];
  if (f.line) parts.push(`line ${f.line}`);
  return `${parts.join(' · ')}: ${f.luaMessage || f.message}`;
}

export class ScriptsPanel {
  private store = readStore();
  private type: ScriptType = 'telemetry_up';
  private gatewayKey = '';
  private errorLine = 0;
  /** After Escape in the editor, Tab moves the focus instead of indenting (no keyboard trap). */
  private tabLeaves = false;
  private saveTimer = 0;
  private runs = 0;

  private readonly source = $<HTMLTextAreaElement>('scr-source');
  private readonly lines = $('scr-lines');
  private readonly band = $('scr-error-band');

  constructor(private readonly host: ScriptsHost) {
    if (!this.conf()) this.store.current = this.store.configurations[0]?.id ?? '';
    const typeSelect = $<HTMLSelectElement>('scr-type');
    fill(typeSelect, ...SCRIPT_TYPES.map((t) => h('option', { value: t }, TYPE_LABELS[t])));
    typeSelect.addEventListener('change', () => {
      this.type = typeSelect.value as ScriptType;
      this.showScript();
    });
    $<HTMLSelectElement>('scr-config').addEventListener('change', (e) => {
      this.store.current = (e.target as HTMLSelectElement).value;
      this.save();
      this.showConfig();
    });
    $<HTMLFormElement>('scr-config-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.addConfig();
    });
    $('scr-config-delete').addEventListener('click', () => this.deleteConfig());
    $<HTMLTextAreaElement>('scr-devices').addEventListener('change', () => this.devicesEdited());
    $('scr-devices-all').addEventListener('click', () => this.addAllGateways());
    $<HTMLInputElement>('scr-import').addEventListener('change', (e) => void this.importFile(e.target as HTMLInputElement));
    $('scr-export').addEventListener('click', () => this.exportFile());
    $<HTMLInputElement>('scr-enabled').addEventListener('change', (e) => void this.setEnabled((e.target as HTMLInputElement).checked));
    $('scr-apply').addEventListener('click', () => void this.applyAll('applied'));
    $('scr-template').addEventListener('click', () => {
      this.source.value = DEFAULT_SCRIPT;
      this.edited();
    });
    $<HTMLFormElement>('scr-run-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.run();
    });
    const inputKind = $<HTMLSelectElement>('scr-input-kind');
    inputKind.addEventListener('change', () => this.showInputKind());
    this.source.addEventListener('input', () => this.edited());
    this.source.addEventListener('scroll', () => this.syncScroll());
    this.source.addEventListener('keydown', (e) => this.editorKey(e));
    this.showConfig();
    this.showInputKind();
  }

  /** Applies the stored configurations (at start: the worker keeps them for each connect). */
  start(): void {
    if (this.store.configurations.some((c) => Object.values(c.scripts).some((s) => s?.enabled))) void this.applyAll('restored');
  }

  // --- configurations --------------------------------------------------------------

  private conf(): ScriptConfiguration | undefined {
    return this.store.configurations.find((c) => c.id === this.store.current);
  }

  private save(): void {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(this.store));
    } catch {
      /* storage full or disabled: the configurations live until the page closes */
    }
  }

  private configStatus(text: string, state = ''): void {
    const el = $('scr-config-status');
    el.textContent = text;
    el.dataset.state = state;
  }

  private showConfig(): void {
    const select = $<HTMLSelectElement>('scr-config');
    fill(select, ...this.store.configurations.map((c) => h('option', { value: c.id }, c.id)));
    select.value = this.store.current;
    const conf = this.conf();
    $<HTMLTextAreaElement>('scr-devices').value = conf ? conf.devices.join('\n') : '';
    for (const id of ['scr-devices', 'scr-devices-all', 'scr-config-delete', 'scr-source', 'scr-enabled', 'scr-apply', 'scr-template']) {
      ($(id) as HTMLInputElement).disabled = !conf;
    }
    this.showTypes();
    this.showScript();
  }

  /** The type picker says which scripts exist and run. */
  private showTypes(): void {
    const conf = this.conf();
    for (const option of $<HTMLSelectElement>('scr-type').options) {
      const slot = conf?.scripts[option.value as ScriptType];
      option.textContent = `${TYPE_LABELS[option.value as ScriptType]}${slot?.enabled ? ' · enabled' : slot ? ' · disabled' : ''}`;
    }
  }

  private showScript(): void {
    const slot = this.conf()?.scripts[this.type];
    this.source.value = slot ? slot.source : DEFAULT_SCRIPT;
    $<HTMLInputElement>('scr-enabled').checked = slot?.enabled ?? false;
    $('scr-editor').dataset.script = slot ? (slot.enabled ? 'enabled' : 'disabled') : 'new';
    this.markLine(0);
    this.drawLines();
    this.applyStatus('', '');
  }

  private addConfig(): void {
    const input = $<HTMLInputElement>('scr-config-id');
    const id = input.value.trim();
    if (!id) {
      input.setAttribute('aria-invalid', 'true');
      this.configStatus('A configuration needs an id.', 'invalid');
      return;
    }
    input.removeAttribute('aria-invalid');
    if (!this.store.configurations.some((c) => c.id === id)) this.store.configurations.push({ id, scripts: {}, devices: [] });
    this.store.current = id;
    input.value = '';
    this.save();
    this.showConfig();
    this.configStatus(`Configuration ${id}.`, 'success');
  }

  private deleteConfig(): void {
    const conf = this.conf();
    if (!conf) return;
    this.store.configurations = this.store.configurations.filter((c) => c !== conf);
    this.store.current = this.store.configurations[0]?.id ?? '';
    this.save();
    this.showConfig();
    this.configStatus(`Deleted configuration ${conf.id}.`, 'success');
    void this.applyAll('deleted');
  }

  private devicesEdited(): void {
    const conf = this.conf();
    if (!conf) return;
    const list = $<HTMLTextAreaElement>('scr-devices').value.split(/[\n,]/).map((d) => d.trim()).filter(Boolean);
    conf.devices = [...new Set(list)];
    this.save();
    void this.applyAll('gateways');
  }

  private addAllGateways(): void {
    const conf = this.conf();
    if (!conf) return;
    const seen = this.host.gateways().map((g) => g.name);
    conf.devices = [...new Set([...conf.devices, ...seen])];
    $<HTMLTextAreaElement>('scr-devices').value = conf.devices.join('\n');
    this.save();
    void this.applyAll('gateways');
  }

  private async importFile(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    if (!file) return;
    try {
      const imported = parseConfigurationsFile(await file.text());
      for (const c of imported) {
        const i = this.store.configurations.findIndex((o) => o.id === c.id);
        if (i >= 0) this.store.configurations[i] = c;
        else this.store.configurations.push(c);
      }
      if (imported.length > 0) this.store.current = imported[0].id;
      this.save();
      this.showConfig();
      this.configStatus(`Imported ${imported.length} configuration${imported.length === 1 ? '' : 's'} from ${file.name}.`, 'success');
      await this.applyAll('imported');
    } catch (err) {
      this.configStatus(`${file.name}: ${(err as Error).message}`, 'failure');
    } finally {
      input.value = '';
    }
  }

  private exportFile(): void {
    const blob = new Blob([configurationsFile(this.store.configurations, this.host.gateways())], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: 'configurations.json' });
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    this.configStatus(`Exported ${this.store.configurations.length} configurations.`, 'success');
  }

  // --- the editor ------------------------------------------------------------------

  /** The current script's slot, created from the editor on first use. */
  private slot(): ScriptSlot | null {
    const conf = this.conf();
    if (!conf) return null;
    let slot = conf.scripts[this.type];
    if (!slot) {
      slot = { source: this.source.value, enabled: false };
      conf.scripts[this.type] = slot;
      this.showTypes();
    }
    return slot;
  }

  private edited(): void {
    const slot = this.slot();
    if (slot) {
      slot.source = this.source.value;
      if (slot.enabled) this.applyStatus('Edited: Apply runs the new version on the platform client.', 'pending');
    }
    if (this.errorLine) this.markLine(0);
    this.drawLines();
    clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => this.save(), 300);
  }

  private editorKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      this.tabLeaves = true;
      return;
    }
    if (e.key !== 'Tab' || e.ctrlKey || e.altKey || e.metaKey) {
      this.tabLeaves = false;
      return;
    }
    if (this.tabLeaves || e.shiftKey) return;
    e.preventDefault();
    const { selectionStart, selectionEnd } = this.source;
    this.source.setRangeText('  ', selectionStart, selectionEnd, 'end');
    this.edited();
  }

  private drawLines(): void {
    const count = this.source.value.split('\n').length;
    if (this.lines.childElementCount !== count || this.errorLine) {
      const spans: HTMLElement[] = [];
      for (let i = 1; i <= count; i++) spans.push(h('span', { class: i === this.errorLine ? 'err' : null }, String(i)));
      fill(this.lines, ...spans);
    }
    this.syncScroll();
  }

  private syncScroll(): void {
    this.lines.scrollTop = this.source.scrollTop;
    if (this.errorLine) {
      const lineHeight = parseFloat(getComputedStyle(this.source).lineHeight) || 18;
      const padTop = parseFloat(getComputedStyle(this.source).paddingTop) || 0;
      this.band.style.top = `${padTop + (this.errorLine - 1) * lineHeight - this.source.scrollTop}px`;
      this.band.style.height = `${lineHeight}px`;
    }
  }

  /** Marks (0: unmarks) the editor line a script error names. */
  private markLine(line: number): void {
    const lines = this.source.value.split('\n').length;
    this.errorLine = line > 0 && line <= lines + 1 ? line : 0;
    const editor = $('scr-editor');
    if (this.errorLine) editor.dataset.errorLine = String(this.errorLine);
    else delete editor.dataset.errorLine;
    this.band.hidden = this.errorLine === 0;
    const spans = this.lines.children;
    for (let i = 0; i < spans.length; i++) spans[i].classList.toggle('err', i + 1 === this.errorLine);
    this.syncScroll();
  }

  // --- running ---------------------------------------------------------------------

  private showInputKind(): void {
    const last = $<HTMLSelectElement>('scr-input-kind').value === 'last';
    $('scr-input-last').hidden = !last;
    $('scr-input-text').hidden = last;
  }

  /** Keeps the gateway picker to the gateways the tree has. */
  setGateways(gateways: GatewaySeen[]): void {
    const key = gateways.map((g) => `${g.id}\u0000${g.name}`).join('\u0001');
    if (key === this.gatewayKey) return;
    this.gatewayKey = key;
    const select = $<HTMLSelectElement>('scr-gateway');
    const was = select.value;
    fill(select, ...gateways.map((g) => h('option', { value: g.id }, g.name)));
    if (gateways.some((g) => g.id === was)) select.value = was;
    $('scr-gateway-empty').hidden = gateways.length > 0;
  }

  private async run(): Promise<void> {
    const kind = $<HTMLSelectElement>('scr-input-kind').value;
    let input: ScriptInput;
    if (kind === 'last') {
      const gateway = $<HTMLSelectElement>('scr-gateway').value;
      if (!gateway) {
        this.runStatus('No gateway seen yet: connect, or paste an input.', 'invalid');
        return;
      }
      input = { kind: 'last', gateway };
    } else {
      input = { kind: 'text', text: $<HTMLTextAreaElement>('scr-input').value };
    }
    const mine = ++this.runs;
    this.runStatus('Running…', 'pending');
    const conf = this.conf()?.id ?? 'script';
    const result = await this.host.run(this.source.value, this.type, `${conf}.${this.type}`, input);
    if (mine !== this.runs) return;
    const used = result.input
      ? `${result.input.topic ? `${result.input.topic}, ` : ''}${result.input.size} bytes${result.input.ts ? ` from ${new Date(result.input.ts).toLocaleTimeString()}` : ''}`
      : '';
    $('scr-input-used').textContent = used ? `Input: ${used}` : '';
    $('scr-input-preview').textContent = result.input?.preview ?? '';
    if (result.ok) {
      this.markLine(0);
      this.showError(null);
      const text = result.text ?? '';
      $('scr-output').textContent = text;
      let pretty = '';
      try {
        pretty = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        /* not JSON: the text is all */
      }
      $('scr-json').textContent = pretty;
      $('scr-json-wrap').hidden = pretty === '';
      this.runStatus(`OK · ${result.bytes ?? 0} bytes of output`, 'success');
    } else {
      const f = result.error!;
      $('scr-output').textContent = '';
      $('scr-json').textContent = '';
      $('scr-json-wrap').hidden = true;
      this.showError(f);
      this.markLine(f.line);
      this.runStatus(failureText(f), 'failure');
    }
  }

  private runStatus(text: string, state: string): void {
    const el = $('scr-run-status');
    el.textContent = text;
    el.dataset.state = state;
  }

  private showError(f: ScriptFailure | null): void {
    const box = $('scr-error');
    box.hidden = f === null;
    if (!f) return;
    $('scr-error-kind').textContent = f.kind || f.code;
    $('scr-error-line').textContent = f.line ? String(f.line) : '—';
    $('scr-error-message').textContent = f.luaMessage || f.message;
  }

  // --- enabling --------------------------------------------------------------------

  private applyStatus(text: string, state: string): void {
    const el = $('scr-apply-status');
    el.textContent = text;
    el.dataset.state = state;
  }

  private async setEnabled(on: boolean): Promise<void> {
    const slot = this.slot();
    if (!slot) return;
    slot.source = this.source.value;
    slot.enabled = on;
    this.save();
    await this.applyAll(on ? 'enabled' : 'disabled');
  }

  /** Sends every configuration to the worker; scripts that do not compile come back disabled. */
  private async applyAll(why: string): Promise<void> {
    const configs = this.store.configurations;
    this.applyStatus('Applying…', 'pending');
    const result = await this.host.apply(JSON.parse(JSON.stringify(configs)) as ScriptConfiguration[]);
    for (const f of result.failures) {
      const slot = configs.find((c) => c.id === f.configuration)?.scripts[f.scriptType as ScriptType];
      if (slot) slot.enabled = false;
    }
    this.save();
    const mine = result.failures.find((f) => f.configuration === this.store.current && f.scriptType === this.type);
    const slot = this.conf()?.scripts[this.type];
    $<HTMLInputElement>('scr-enabled').checked = slot?.enabled ?? false;
    $('scr-editor').dataset.script = slot ? (slot.enabled ? 'enabled' : 'disabled') : 'new';
    this.showTypes();
    if (mine) {
      this.markLine(mine.line);
      this.showError(mine);
      this.applyStatus(`Not enabled: ${failureText(mine)}`, 'failure');
      return;
    }
    const others = result.failures.map((f) => `${f.configuration ?? '?'}/${f.scriptType ?? '?'}: ${failureText(f)}`);
    const running = configs.reduce((n, c) => n + Object.values(c.scripts).filter((s) => s?.enabled).length, 0);
    const where = result.live ? 'on the platform client' : 'when the dashboard connects';
    const text = `${why === 'restored' ? 'Restored' : 'Applied'}: ${running} script${running === 1 ? '' : 's'} enabled, running ${where}.`;
    this.applyStatus(others.length ? `${text} Not enabled: ${others.join('; ')}` : text, others.length ? 'failure' : 'success');
  }
}
