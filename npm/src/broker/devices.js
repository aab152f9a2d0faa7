// The ThingsPanel mode's devices file: who may connect and as which device.
// It stands in for the platform's device table, each entry holding what the
// broker looks a device up by (its voucher: username and optional password)
// and what it reports it as (device_id in the envelope and the status topic).
//
//   [{ "device_id": "3f1c...", "device_number": "gw-1", "type": "gateway",
//      "username": "gw-1", "password": "secret" }]
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { TpgateError } from '../errors.js';

const FIELDS = ['device_id', 'device_number', 'type', 'username', 'password', 'name'];
const RESERVED = ['root', 'plugin'];

/** A devices file (or array) that does not fit the format; `index`/`field` name the entry at fault. */
export class DevicesFileError extends TpgateError {
  constructor(message, extra = {}) {
    super('ERR_INVALID_DEVICES', message);
    if (extra.file !== undefined) this.file = extra.file;
    if (extra.index !== undefined) this.index = extra.index;
    if (extra.field !== undefined) this.field = extra.field;
  }
}

/** A string that can stand in a topic level: non-empty, no '/', '+' or '#'. */
function topicLevelProblem(value) {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty string';
  if (/[/+#]/.test(value)) return "must not contain '/', '+' or '#' (it is used as a topic level)";
  return null;
}

/**
 * Checks a devices array and returns it normalised (type defaults to "gateway",
 * password to null). Throws DevicesFileError naming the entry and field at fault.
 * @param {unknown} devices
 * @param {string} [source] where the array came from, for messages
 */
export function validateDevices(devices, source = 'devices') {
  const fail = (message, index, field) => {
    throw new DevicesFileError(`${source}: ${message}`, { file: source, index, field });
  };
  if (!Array.isArray(devices)) {
    fail('expected a JSON array of devices [{"device_id", "device_number", "username", ...}]');
  }
  const seen = { device_id: new Map(), device_number: new Map(), username: new Map() };
  return devices.map((entry, index) => {
    const at = `[${index}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      fail(`${at}: expected an object {"device_id", "device_number", "username", ...}`, index);
    }
    for (const key of Object.keys(entry)) {
      if (!FIELDS.includes(key)) fail(`${at}.${key}: unknown field (known: ${FIELDS.join(', ')})`, index, key);
    }
    for (const field of ['device_id', 'device_number']) {
      const problem = topicLevelProblem(entry[field]);
      if (problem) fail(`${at}.${field} ${problem}, got ${JSON.stringify(entry[field])}`, index, field);
    }
    if (typeof entry.username !== 'string' || entry.username === '') {
      fail(`${at}.username must be a non-empty string (the device's voucher), got ${JSON.stringify(entry.username)}`, index, 'username');
    }
    if (RESERVED.includes(entry.username)) {
      fail(`${at}.username "${entry.username}" is reserved for the ThingsPanel platform (docs/thingspanel.md#authentication)`, index, 'username');
    }
    if (entry.password !== undefined && entry.password !== null && typeof entry.password !== 'string') {
      fail(`${at}.password must be a string, null or absent, got ${JSON.stringify(entry.password)}`, index, 'password');
    }
    for (const field of ['type', 'name']) {
      if (entry[field] !== undefined && (typeof entry[field] !== 'string' || entry[field] === '')) {
        fail(`${at}.${field} must be a non-empty string, got ${JSON.stringify(entry[field])}`, index, field);
      }
    }
    for (const field of Object.keys(seen)) {
      const first = seen[field].get(entry[field]);
      if (first !== undefined) fail(`${at}.${field} "${entry[field]}" is already used by entry [${first}]`, index, field);
      seen[field].set(entry[field], index);
    }
    return {
      device_id: entry.device_id,
      device_number: entry.device_number,
      type: entry.type ?? 'gateway',
      username: entry.username,
      password: entry.password === undefined || entry.password === '' ? null : entry.password,
      ...(entry.name === undefined ? {} : { name: entry.name }),
    };
  });
}

/**
 * Reads and checks a devices file.
 * @param {string} file
 */
export async function loadDevicesFile(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DevicesFileError(`${file}: cannot read the devices file (${err.code ?? err.message})`, { file });
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DevicesFileError(`${file}: not valid JSON (${err.message})`, { file });
  }
  return validateDevices(parsed, file);
}

/** A stable UUID (version 5 layout) for a device_number, so a regenerated file keeps its ids. */
export function deviceIdFor(deviceNumber) {
  const h = createHash('sha1').update(`tpgate-device:${deviceNumber}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Expands the scenario templates {i}, {i:N} (zero-padded) and {device_number} (docs/scenario.md "gateways"). */
export function expandTemplate(template, i, deviceNumber) {
  return template.replace(/\{(i(?::(\d+))?|device_number)\}/g, (_, name, width) => {
    if (name === 'device_number') return deviceNumber ?? '';
    return width === undefined ? String(i) : String(i).padStart(Number(width), '0');
  });
}

/**
 * Devices for a fleet of gateways named like the emulator names them
 * (docs/scenario.md "gateways": device_number "gw-{i}", username "{device_number}",
 * no password by default). device_id is derived from the device_number.
 * @param {{count?: number, firstIndex?: number, deviceNumber?: string, username?: string,
 *          password?: string | null, type?: string}} [options]
 */
export function generateDevices({
  count = 1, firstIndex = 1, deviceNumber = 'gw-{i}', username = '{device_number}', password = null, type = 'gateway',
} = {}) {
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`generateDevices: count must be an integer >= 1, got ${count}`);
  const devices = [];
  for (let i = firstIndex; i < firstIndex + count; i++) {
    const dn = expandTemplate(deviceNumber, i);
    const entry = { device_id: deviceIdFor(dn), device_number: dn, type, username: expandTemplate(username, i, dn) };
    if (password !== null && password !== undefined) entry.password = expandTemplate(password, i, dn);
    devices.push(entry);
  }
  validateDevices(devices, 'generateDevices()');
  return devices;
}

/**
 * Writes generateDevices(options) to `file` as JSON and returns the devices.
 * @param {string} file
 * @param {Parameters<typeof generateDevices>[0]} [options]
 */
export async function generateDevicesFile(file, options) {
  const devices = generateDevices(options);
  await writeFile(file, `${JSON.stringify(devices, null, 2)}\n`);
  return devices;
}
