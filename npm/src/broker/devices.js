// The ThingsPanel mode's devices file: who may connect and as which device.
// It stands in for the platform's device table, each entry holding what the
// broker looks a device up by (its voucher: username and optional password)
// and what it reports it as (device_id in the envelope and the status topic).
//
//   [{ "device_id": "3f1c...", "device_number": "gw-1", "type": "gateway",
//      "username": "gw-1", "password": "secret" }]
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { DevicesFileError, validateDevices } from '../configurations.js';

export { DevicesFileError, validateDevices };

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
