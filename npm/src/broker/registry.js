// The ThingsPanel mode's device table and configurations: read from a
// configurations file (docs/configurations.md) or given in memory, grown by
// HTTP registration (api.js), and written back to the file it came from.
import { randomUUID } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationsError, DevicesFileError, parseConfigurations } from '../configurations.js';

/**
 * Reads a configurations file (or an old devices file) and the script files
 * it names (relative to it). Throws ConfigurationsError / DevicesFileError.
 * @param {string} file
 * @returns {Promise<{format: string, configurations: object[], devices: object[], warnings: string[], raw: unknown}>}
 */
export async function loadConfigurationsFile(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DevicesFileError(`${file}: cannot read the devices file (${err.code ?? err.message})`, { file });
  }
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const E = text.trimStart().startsWith('[') ? DevicesFileError : ConfigurationsError;
    throw new E(`${file}: not valid JSON (${err.message})`, { file, path: '' });
  }
  const parsed = parseConfigurations(raw, { source: file });
  const dir = path.dirname(path.resolve(file));
  for (const [i, c] of parsed.configurations.entries()) {
    for (const [type, script] of Object.entries(c.scripts)) {
      if (script.file === null) continue;
      const where = path.resolve(dir, script.file);
      try {
        script.content = await readFile(where, 'utf8');
      } catch (err) {
        const at = `configurations[${i}].scripts.${type}.file`;
        throw new ConfigurationsError(`${file}: ${at}: cannot read "${script.file}" (${err.code ?? err.message}; `
          + `resolved to ${where}, relative to the configurations file)`, { file, path: at });
      }
    }
  }
  return { ...parsed, raw };
}

/** A fresh UUID (version 4), as the platform gives new devices. */
export const newId = () => randomUUID();

/**
 * The device table.
 * @param {{devices: object[], configurations: object[], format: string, raw?: unknown, file?: string | null,
 *          log: (line: string) => void}} options
 */
export function createRegistry({ devices, configurations, format, raw = null, file = null, log }) {
  const configurationsById = new Map(configurations.map((c) => [c.id, c]));
  const registered = [];
  const listeners = new Set();
  let writing = Promise.resolve();

  const table = {
    devices,
    configurations,
    file,
    configuration: (id) => (id === undefined ? undefined : configurationsById.get(id)),
    bySecret: (secret) => configurations.find((c) => c.template_secret !== null && c.template_secret === secret),
    byName: (name) => configurations.find((c) => c.name === name),
    byNumber: (dn) => devices.find((d) => d.device_number === dn),
    byId: (id) => devices.find((d) => d.device_id === id),
    subDevice: (parentNumber, addr) => devices.find((d) => d.parent_device_number === parentNumber && d.sub_device_addr === addr),
    onAdd: (fn) => listeners.add(fn),
    /** Adds a registered device (normalised, with its file entry) and writes the file back. */
    add(device, entry) {
      devices.push(device);
      registered.push(entry);
      for (const fn of listeners) fn(device);
      if (file !== null) writing = writing.then(() => persist()).catch((err) => log(`cannot write ${file}: ${err.message}; the device stays registered until the broker stops`));
      return writing;
    },
    /** Resolves once every write so far is done. */
    flushed: () => writing,
  };

  async function persist() {
    let out;
    if (format === 'devices') out = [...raw, ...registered];
    else out = { ...raw, devices: [...(raw.devices ?? []), ...registered] };
    const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
    try {
      await writeFile(tmp, `${JSON.stringify(out, null, 2)}\n`);
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  if (raw === null) {
    // In memory (an array or object given to startBroker): nothing to write back.
    raw = format === 'devices' ? [] : { devices: [] };
  } else if (format === 'configurations') {
    raw = { ...raw };
  } else {
    raw = [...raw];
  }
  return table;
}
