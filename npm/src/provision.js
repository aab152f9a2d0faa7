// Device self-registration over the platform's HTTP API (docs/scenario.md
// "Provisioning"): POST {api_url}/api/v1/device/auth with a device
// configuration's template secret returns the device's id and its MQTT voucher.
// The emulator registers every virtual gateway (and, when asked, every device
// below it, parents first) before the fleet connects, and keeps the vouchers
// in a file so that a rerun registers only what is missing.
//
// Works in Node and browsers: the one Node-only part (the vouchers file) is
// imported when used, under a name built at run time so that bundlers making a
// browser build do not try to resolve a Node module.
import { TpgateError } from './errors.js';

export const AUTH_PATH = '/api/v1/device/auth';

/** A device that could not be registered. `platformCode` is the platform's code (e.g. 200082) when it answered with one. */
export class ProvisionError extends TpgateError {
  constructor(message, extra = {}) {
    super('ERR_PROVISION', message, extra);
    this.failures = extra.failures ?? [];
    if (extra.platformCode !== undefined) this.platformCode = extra.platformCode;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.vouchers !== undefined) this.vouchers = extra.vouchers;
  }
}

// What the platform's codes 200080-200086 mean, for messages; the platform's own text is shown too.
const PLATFORM_HINTS = {
  200080: 'no device configuration has this template secret: check template_secret / --template-secret',
  200081: "the device configuration does not allow self-registration: turn on automatic registration in the platform's device configuration",
  200082: 'a device with this device_number already exists; its voucher is not in the vouchers file, so take it from the platform (or delete the device there) and rerun',
  200083: 'no product has this product key',
  200084: 'the device configuration is for sub-devices, which need sub_device_addr and parent_device_number: set provision.sub_devices, or use a gateway configuration',
  200085: 'the parent device does not exist on the platform: register the gateway first',
  200086: 'the parent device already has a sub-device at this address',
};

function nodeFs() {
  const name = ['node:fs', 'promises'].join('/');
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The voucher JSON text of an auth response -> {username, password?}. */
export function parseVoucher(text) {
  let v;
  try {
    v = typeof text === 'string' ? JSON.parse(text) : text;
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || typeof v.username !== 'string' || v.username === '') return null;
  return typeof v.password === 'string' && v.password !== '' ? { username: v.username, password: v.password } : { username: v.username };
}

/**
 * The devices to register for a fleet: each gateway, and with `subDevices`
 * every device below it (sub-devices and sub-gateways, at any depth), as
 * levels: every device of a level has its parent in an earlier one.
 * A device below gateway G at address A has the device_number "G_A".
 * @param {string[]} gatewayNumbers the gateways' device_numbers
 * @param {object} gatewaySpec the normalized scenario's `gateway`
 * @returns {Array<Array<{device_number: string, sub_device_addr?: string, parent_device_number?: string}>>}
 */
export function provisionLevels(gatewayNumbers, gatewaySpec, subDevices) {
  const levels = [gatewayNumbers.map((dn) => ({ device_number: dn }))];
  if (!subDevices) return levels;
  let frontier = gatewayNumbers.map((dn) => ({ dn, spec: gatewaySpec ?? {} }));
  while (frontier.length > 0) {
    const level = [];
    const next = [];
    for (const { dn, spec } of frontier) {
      for (const address of Object.keys(spec.sub_devices ?? {})) {
        level.push({ device_number: `${dn}_${address}`, sub_device_addr: address, parent_device_number: dn });
      }
      for (const [address, sub] of Object.entries(spec.sub_gateways ?? {})) {
        level.push({ device_number: `${dn}_${address}`, sub_device_addr: address, parent_device_number: dn });
        next.push({ dn: `${dn}_${address}`, spec: sub });
      }
    }
    if (level.length > 0) levels.push(level);
    frontier = next;
  }
  return levels;
}

function describePlatformError(device, code, message) {
  const hint = PLATFORM_HINTS[code];
  return `${device.device_number}: the platform refused the registration with code ${code}${message ? ` (${message})` : ''}${hint ? `: ${hint}` : ''}`;
}

class Retryable extends Error {}

/** One POST; resolves to {device_id, username, password?} or throws (Retryable for network errors and 5xx). */
async function register(fetchFn, url, templateSecret, device) {
  const body = { template_secret: templateSecret, device_number: device.device_number };
  if (device.sub_device_addr !== undefined) {
    body.sub_device_addr = device.sub_device_addr;
    body.parent_device_number = device.parent_device_number;
  }
  let response;
  try {
    response = await fetchFn(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new Retryable(`${device.device_number}: cannot reach ${url}: ${err.cause?.message ?? err.message}`);
  }
  const text = await response.text().catch(() => '');
  let envelope = null;
  try {
    envelope = JSON.parse(text);
  } catch {
    envelope = null;
  }
  if (response.status >= 500) {
    throw new Retryable(`${device.device_number}: ${url} answered HTTP ${response.status}${envelope?.message ? ` (${envelope.message})` : ''}`);
  }
  const code = envelope && typeof envelope === 'object' ? envelope.code : undefined;
  if (typeof code === 'number' && code !== 200) {
    throw new ProvisionError(describePlatformError(device, code, envelope.message), { platformCode: code, status: response.status });
  }
  if (response.status >= 400) {
    throw new ProvisionError(`${device.device_number}: ${url} answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}; is api_url the platform's backend?`, { status: response.status });
  }
  const data = envelope?.data;
  const voucher = parseVoucher(data?.voucher);
  if (!data || typeof data.device_id !== 'string' || voucher === null) {
    throw new ProvisionError(`${device.device_number}: ${url} answered without data.device_id and a data.voucher holding a username (got ${text.slice(0, 200) || 'an empty body'}); is api_url the platform's backend?`, { status: response.status });
  }
  return { device_id: data.device_id, ...voucher };
}

/**
 * Registers every device not in `vouchers`, level by level, at most
 * `concurrency` requests at once; network errors and HTTP 5xx are retried
 * `retries` times with exponential backoff and jitter, platform errors and
 * other 4xx are not. Resolves to {vouchers, registered, skipped}; rejects with
 * a ProvisionError listing every device that failed (the vouchers of those
 * that succeeded are kept in `vouchers` and handed to `save` first).
 * @param {object} o
 * @param {string} o.apiUrl e.g. 'http://127.0.0.1:9999'
 * @param {string} o.templateSecret
 * @param {Array<Array<object>>} o.levels from provisionLevels()
 * @param {Record<string, {device_id: string, username: string, password?: string}>} [o.vouchers] known vouchers, by device_number
 * @param {(vouchers: object) => Promise<void>} [o.save] called after each level (and before a failure is thrown)
 * @param {(p: {done: number, total: number, registered: number, skipped: number, failed: number}) => void} [o.onProgress]
 */
export async function provision({
  apiUrl, templateSecret, levels, vouchers = {}, concurrency = 16, retries = 5, fetch: fetchFn = globalThis.fetch,
  save, onProgress, baseDelayMs = 250, maxDelayMs = 10_000, random = Math.random,
}) {
  if (typeof fetchFn !== 'function') throw new ProvisionError('provisioning needs fetch(): use Node 18 or later, or a browser');
  const url = `${String(apiUrl).replace(/\/+$/, '')}${AUTH_PATH}`;
  const known = { ...vouchers };
  const total = levels.reduce((n, level) => n + level.length, 0);
  const progress = { done: 0, total, registered: 0, skipped: 0, failed: 0 };
  const failures = [];
  const report = () => onProgress?.({ ...progress });

  const attempt = async (device) => {
    for (let n = 0; ; n++) {
      try {
        return await register(fetchFn, url, templateSecret, device);
      } catch (err) {
        if (!(err instanceof Retryable) || n >= retries) {
          if (err instanceof Retryable) err.message += ` (gave up after ${n + 1} attempts)`;
          throw err;
        }
        // Full jitter over an exponentially growing window.
        const window = Math.min(maxDelayMs, baseDelayMs * 2 ** n);
        await sleep(window / 2 + random() * (window / 2));
      }
    }
  };

  for (const level of levels) {
    const todo = [];
    for (const device of level) {
      if (known[device.device_number]) {
        progress.skipped++;
        progress.done++;
      } else {
        todo.push(device);
      }
    }
    report();
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const device = todo[next++];
        try {
          known[device.device_number] = await attempt(device);
          progress.registered++;
        } catch (err) {
          progress.failed++;
          failures.push({ device_number: device.device_number, message: err.message, platformCode: err.platformCode, status: err.status });
        }
        progress.done++;
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
    if (save && todo.length > 0) await save(known);
    if (failures.length > 0) break; // children of a failed level would fail with 200085
  }
  if (failures.length > 0) {
    const shown = failures.slice(0, 5).map((f) => `  ${f.message}`).join('\n');
    const more = failures.length > 5 ? `\n  ... and ${failures.length - 5} more` : '';
    throw new ProvisionError(
      `${failures.length} of ${total} devices could not be registered at ${url} (${progress.registered} registered, ${progress.skipped} already in the vouchers file):\n${shown}${more}`,
      { failures, platformCode: failures[0].platformCode, vouchers: known },
    );
  }
  return { vouchers: known, registered: progress.registered, skipped: progress.skipped };
}

/** The vouchers file: {device_number: {device_id, username, password?}}; {} when it does not exist (Node only). */
export async function readVouchersFile(path) {
  const { readFile } = await nodeFs();
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return {};
    throw new ProvisionError(`cannot read the vouchers file ${path}: ${err.message}`);
  }
  let v;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ProvisionError(`the vouchers file ${path} is not JSON (${err.message}); fix it or move it away to register again`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ProvisionError(`the vouchers file ${path} must hold an object of device_number -> {device_id, username, password}`);
  }
  return v;
}

/** Writes the vouchers file atomically: a temporary file next to it, then a rename (Node only). */
export async function writeVouchersFile(path, vouchers) {
  const { writeFile, rename, unlink } = await nodeFs();
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(vouchers, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new ProvisionError(`cannot write the vouchers file ${path}: ${err.message}`);
  }
}

/**
 * The normalized scenario with gateways.credentials giving each gateway in
 * `identities` (this process's: {index (global), device_number}) its voucher's
 * username and password; every other gateway of the fleet of `total` keeps
 * the scenario's templates (or its own credentials entry).
 */
export function scenarioWithVouchers(normalized, vouchers, identities, total) {
  const g = normalized.gateways;
  const templates = g.credentials ?? [{ device_number: g.device_number, client_id: g.client_id, username: g.username, password: g.password ?? null }];
  const credentials = new Array(total);
  for (let k = 0; k < total; k++) credentials[k] = templates[k % templates.length];
  for (const { index, device_number: dn } of identities) {
    const v = vouchers[dn];
    if (!v) continue;
    for (const [field, value] of [['username', v.username], ['password', v.password]]) {
      if (typeof value === 'string' && /[{}]/.test(value)) {
        throw new ProvisionError(`${dn}: the voucher's ${field} contains '{' or '}', which the scenario would read as a template; such a voucher cannot be used by the emulator`);
      }
    }
    const base = credentials[index];
    credentials[index] = { device_number: base.device_number, client_id: base.client_id, username: v.username, password: v.password ?? null };
  }
  const { device_number: _dn, client_id: _ci, username: _u, password: _p, credentials: _c, ...rest } = g;
  return { ...normalized, gateways: { ...rest, count: total, credentials } };
}
