// Device maps: which device_number each device_id is (the broker's envelope
// names a gateway by its device_id; downlinks and people use its number).
// A map comes from a file the user loads, or from a URL (the `map` query
// parameter; `tpgate demo` serves its fleet's as devices.json), as:
//   - CSV: device_id,device_number per line (a header naming the two columns
//     may put them in any order; ',' ';' or tab separated);
//   - JSON: {"<device_id>": "<device_number>", ...}, or an array of
//     {"device_id", "device_number"} objects, or that array under "devices"
//     or "data.devices" (the dev broker's GET /api/v1/tpgate/devices).

export type DeviceMap = Record<string, string>;

function fromRecords(list: unknown[], where: string): DeviceMap | { error: string } {
  const out: DeviceMap = {};
  for (const [i, item] of list.entries()) {
    const r = item as { device_id?: unknown; device_number?: unknown } | null;
    if (r === null || typeof r !== 'object' || typeof r.device_id !== 'string' || typeof r.device_number !== 'string' || !r.device_id || !r.device_number) {
      return { error: `${where}: entry ${i + 1} is not {"device_id": "...", "device_number": "..."}` };
    }
    out[r.device_id] = r.device_number;
  }
  return out;
}

function fromJson(value: unknown, name: string): DeviceMap | { error: string } {
  if (Array.isArray(value)) return fromRecords(value, name);
  if (value === null || typeof value !== 'object') return { error: `${name}: expected a JSON object or array, got ${JSON.stringify(value)}` };
  const v = value as Record<string, unknown>;
  const nested = (v.data as { devices?: unknown } | undefined)?.devices ?? v.devices;
  if (Array.isArray(nested)) return fromRecords(nested, name);
  const out: DeviceMap = {};
  for (const [id, dn] of Object.entries(v)) {
    if (typeof dn !== 'string' || !dn) return { error: `${name}: the value of "${id}" must be a device_number (a non-empty string)` };
    out[id] = dn;
  }
  return out;
}

function splitCsv(line: string): string[] {
  const sep = line.includes('\t') ? '\t' : line.includes(';') && !line.includes(',') ? ';' : ',';
  return line.split(sep).map((c) => c.trim().replace(/^"(.*)"$/, '$1').replace(/""/g, '"'));
}

function fromCsv(text: string, name: string): DeviceMap | { error: string } {
  const out: DeviceMap = {};
  const lines = text.split(/\r?\n/);
  let idCol = 0;
  let dnCol = 1;
  let start = 0;
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first >= 0) {
    const cells = splitCsv(lines[first]).map((c) => c.toLowerCase());
    if (cells.includes('device_id') || cells.includes('device_number')) {
      idCol = cells.indexOf('device_id');
      dnCol = cells.indexOf('device_number');
      if (idCol < 0 || dnCol < 0) return { error: `${name} line ${first + 1}: the header must name both device_id and device_number` };
      start = first + 1;
    }
  }
  for (let i = start; i < lines.length; i++) {
    if (lines[i].trim() === '' || lines[i].trimStart().startsWith('#')) continue;
    const cells = splitCsv(lines[i]);
    const id = cells[idCol];
    const dn = cells[dnCol];
    if (!id || !dn) return { error: `${name} line ${i + 1}: expected device_id,device_number, got '${lines[i].slice(0, 80)}'` };
    out[id] = dn;
  }
  return out;
}

/** Parses a device map file (by its name's extension, else by its first character). */
export function parseDeviceMap(text: string, name = 'the device map'): DeviceMap | { error: string } {
  const t = text.replace(/^\uFEFF/, '').trim();
  if (t === '') return { error: `${name} is empty` };
  const json = /\.json$/i.test(name) || (!/\.csv$/i.test(name) && (t.startsWith('{') || t.startsWith('[')));
  if (json) {
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (err) {
      return { error: `${name} is not valid JSON: ${(err as Error).message}` };
    }
    return fromJson(value, name);
  }
  return fromCsv(t, name);
}

/** The map as the Device numbers field holds it: device_id=device_number, one per line. */
export function deviceMapText(map: DeviceMap): string {
  return Object.entries(map).map(([id, dn]) => `${id}=${dn}`).join('\n');
}
