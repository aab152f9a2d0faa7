// The configurations file (docs/configurations.md): ThingsPanel device
// configurations (templates: data scripts, self-registration secret, topic
// mappings) and the devices that point at them. The dev broker reads it
// (`tpgate broker --thingspanel FILE`); so can a platform client in a page.
// Only pure functions here, no Node imports: reading a file (and the script
// files it names) is loadConfigurationsFile() in ./broker/configurations-file.js.
//
//   const { configurations, devices } = parseConfigurations(JSON.parse(text), { source: 'tp.json' });
//
// The old devices file (a bare JSON array of devices) is still accepted: it is
// a configurations file with no configurations.
import { TpgateError } from './errors.js';

/** Data script types: the stable JS name and the platform's letter (data_scripts.script_type). */
export const SCRIPT_TYPES = Object.freeze({
  telemetry_up: 'A',
  telemetry_down: 'B',
  attributes_up: 'C',
  attributes_down: 'D',
  command_down: 'E',
  event_up: 'F',
});

/** device_configs.device_type: 1 direct device, 2 gateway, 3 gateway sub-device. */
export const DEVICE_TYPES = Object.freeze({ 1: 'device', 2: 'gateway', 3: 'sub-device' });

/** device_configs.voucher_type: ACCESSTOKEN (username only) or BASIC (username and password). */
export const VOUCHER_TYPES = Object.freeze(['ACCESSTOKEN', 'BASIC']);

const DEVICE_FIELDS = ['device_id', 'device_number', 'type', 'username', 'password', 'name',
  'configuration', 'registered', 'sub_device_addr', 'parent_device_number'];
const RESERVED = ['root', 'plugin'];
const CONFIGURATION_FIELDS = ['id', 'name', 'device_type', 'voucher_type', 'template_secret', 'auto_register',
  'scripts', 'topic_mappings', 'description'];
const SCRIPT_FIELDS = ['content', 'file', 'enabled', 'name', 'description'];
const MAPPING_FIELDS = ['name', 'direction', 'source_topic', 'target_topic', 'data_identifier', 'priority', 'enabled', 'description'];
const TOP_FIELDS = ['configurations', 'devices'];

/** A devices array that does not fit the format (the old devices file); `index`/`field` name the entry at fault. */
export class DevicesFileError extends TpgateError {
  constructor(message, extra = {}) {
    super('ERR_INVALID_DEVICES', message);
    if (extra.file !== undefined) this.file = extra.file;
    if (extra.index !== undefined) this.index = extra.index;
    if (extra.field !== undefined) this.field = extra.field;
    if (extra.path !== undefined) this.path = extra.path;
  }
}

/**
 * A configurations file that does not fit the format. `path` is where the
 * problem is ('configurations[0].scripts.telemetry_up', 'devices[2].configuration',
 * '' for the whole file); `file` the file (or the source name given).
 */
export class ConfigurationsError extends TpgateError {
  constructor(message, extra = {}) {
    super('ERR_INVALID_CONFIGURATIONS', message);
    if (extra.file !== undefined) this.file = extra.file;
    if (extra.path !== undefined) this.path = extra.path;
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** A string that can stand in a topic level: non-empty, no '/', '+' or '#'. */
export function topicLevelProblem(value) {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty string';
  if (/[/+#]/.test(value)) return "must not contain '/', '+' or '#' (it is used as a topic level)";
  return null;
}

/**
 * Checks devices and returns them normalised (type defaults to "gateway",
 * password to null). `fail(message, index, field)` throws.
 */
function checkDevices(devices, at, fail) {
  const seen = { device_id: new Map(), device_number: new Map(), username: new Map() };
  return devices.map((entry, index) => {
    const here = at(index);
    if (!isObject(entry)) fail(`${here}: expected an object {"device_id", "device_number", "username", ...}`, index);
    for (const key of Object.keys(entry)) {
      if (!DEVICE_FIELDS.includes(key)) fail(`${here}.${key}: unknown field (known: ${DEVICE_FIELDS.join(', ')})`, index, key);
    }
    for (const field of ['device_id', 'device_number']) {
      const problem = topicLevelProblem(entry[field]);
      if (problem) fail(`${here}.${field} ${problem}, got ${show(entry[field])}`, index, field);
    }
    if (typeof entry.username !== 'string' || entry.username === '') {
      fail(`${here}.username must be a non-empty string (the device's voucher), got ${show(entry.username)}`, index, 'username');
    }
    if (RESERVED.includes(entry.username)) {
      fail(`${here}.username "${entry.username}" is reserved for the ThingsPanel platform (docs/thingspanel.md#authentication)`, index, 'username');
    }
    if (entry.password !== undefined && entry.password !== null && typeof entry.password !== 'string') {
      fail(`${here}.password must be a string, null or absent, got ${show(entry.password)}`, index, 'password');
    }
    for (const field of ['type', 'name', 'configuration', 'sub_device_addr', 'parent_device_number']) {
      if (entry[field] !== undefined && (typeof entry[field] !== 'string' || entry[field] === '')) {
        fail(`${here}.${field} must be a non-empty string, got ${show(entry[field])}`, index, field);
      }
    }
    if (entry.registered !== undefined && typeof entry.registered !== 'boolean') {
      fail(`${here}.registered must be true or false, got ${show(entry.registered)}`, index, 'registered');
    }
    if ((entry.sub_device_addr === undefined) !== (entry.parent_device_number === undefined)) {
      fail(`${here}: a sub-device needs both sub_device_addr and parent_device_number (or neither)`, index,
        entry.sub_device_addr === undefined ? 'sub_device_addr' : 'parent_device_number');
    }
    for (const field of Object.keys(seen)) {
      const first = seen[field].get(entry[field]);
      if (first !== undefined) fail(`${here}.${field} "${entry[field]}" is already used by entry ${at(first)}`, index, field);
      seen[field].set(entry[field], index);
    }
    const device = {
      device_id: entry.device_id,
      device_number: entry.device_number,
      type: entry.type ?? 'gateway',
      username: entry.username,
      password: entry.password === undefined || entry.password === '' ? null : entry.password,
    };
    for (const field of ['name', 'configuration', 'sub_device_addr', 'parent_device_number', 'registered']) {
      if (entry[field] !== undefined) device[field] = entry[field];
    }
    return device;
  });
}

/** Sub-device links: the parent exists, and an address is used once per parent. */
function checkParents(devices, at, fail) {
  const byNumber = new Map(devices.map((d, i) => [d.device_number, i]));
  const addresses = new Map();
  devices.forEach((d, index) => {
    if (d.parent_device_number === undefined) return;
    if (!byNumber.has(d.parent_device_number)) {
      fail(`${at(index)}.parent_device_number "${d.parent_device_number}" is not the device_number of any device in the file`, index, 'parent_device_number');
    }
    const key = `${d.parent_device_number}\u0000${d.sub_device_addr}`;
    const first = addresses.get(key);
    if (first !== undefined) {
      fail(`${at(index)}.sub_device_addr "${d.sub_device_addr}" is already used under parent "${d.parent_device_number}" by ${at(first)}`, index, 'sub_device_addr');
    }
    addresses.set(key, index);
  });
}

/**
 * Checks a devices array (the old devices file) and returns it normalised.
 * Throws DevicesFileError naming the entry and field at fault.
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
  const at = (i) => `[${i}]`;
  const checked = checkDevices(devices, at, fail);
  checked.forEach((d, i) => {
    if (d.configuration !== undefined) {
      fail(`${at(i)}.configuration "${d.configuration}": a bare devices array has no configurations; `
        + 'use the configurations file format {"configurations": [...], "devices": [...]} (docs/configurations.md)', i, 'configuration');
    }
  });
  checkParents(checked, at, fail);
  return checked;
}

// ---- topic patterns (the platform broker's matching: '+' and {name} are one
// non-empty level, '#' is refused; a {name} may also sit inside a level) ----

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;
const escapeRegExp = (s) => s.replace(/[.*?^$()|[\]\\]/g, '\\$&');

/**
 * Compiles a topic template into a full-match RegExp. `{name}` becomes a named
 * group (the first of each name; later ones just match), '+' one level.
 * `fixed` fills placeholders with literal values instead (e.g. the device's own number).
 */
export function compileTopicPattern(template, fixed = {}) {
  const named = new Set();
  let out = '';
  let last = 0;
  const pieces = template.replace(/\+/g, '{+}');
  const rx = /\{([A-Za-z0-9_+]+)\}/g;
  let m;
  while ((m = rx.exec(pieces)) !== null) {
    out += escapeRegExp(pieces.slice(last, m.index));
    const name = m[1];
    if (name === '+') out += '[^/]+';
    else if (Object.hasOwn(fixed, name)) out += escapeRegExp(fixed[name]);
    else if (/^[A-Za-z_]/.test(name) && !named.has(name)) {
      named.add(name);
      out += `(?<${name}>[^/]+)`;
    } else out += '[^/]+';
    last = m.index + m[0].length;
  }
  out += escapeRegExp(pieces.slice(last));
  return new RegExp(`^${out}$`);
}

/** Fills {name} placeholders from `vars`; unknown ones stay as they are. */
export function renderTopic(template, vars) {
  return template.replace(PLACEHOLDER, (whole, name) => (Object.hasOwn(vars, name) ? vars[name] : whole));
}

const UPLINK_PATTERNS = ['gateway/telemetry', 'gateway/attributes/+', 'gateway/event/+',
  'gateway/command/response/+', 'gateway/attributes/set/response/+'];
/** The standard downlinks the broker forwards to custom topics ({device_number} = the device). */
export const MAPPED_DOWNLINKS = Object.freeze([
  'gateway/telemetry/control/{device_number}',
  'gateway/attributes/set/{device_number}/+',
  'gateway/attributes/get/{device_number}',
  'gateway/command/{device_number}/+',
  'gateway/attributes/response/{device_number}/+',
  'gateway/event/response/{device_number}/+',
  'devices/attributes/response/{device_number}/+',
  'devices/event/response/{device_number}/+',
]);
const UPLINK_RX = UPLINK_PATTERNS.map((p) => compileTopicPattern(p));
const DOWNLINK_RX = MAPPED_DOWNLINKS.map((p) => compileTopicPattern(p));

/** A concrete example of a template, for checking what it can become. */
const sampleOf = (template) => renderTopic(template.replace(/\+/g, '{message_id}'), { device_number: 'DN', message_id: 'MID' })
  .replace(PLACEHOLDER, 'X');

function topicProblem(topic) {
  if (typeof topic !== 'string' || topic === '') return 'must be a non-empty topic string';
  if (topic.includes('#')) return "must not contain '#' (the platform's mappings match single levels only: use '+' or {name})";
  if (topic.split('/').some((l) => l === '')) return 'must not have empty levels (a leading, trailing or doubled "/")';
  return null;
}

/**
 * Checks one configuration's topic_mappings; returns them normalised and sorted
 * by priority (ascending, as the platform matches them), plus warnings.
 */
function checkMappings(list, here, fail, warnings) {
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(`${here} must be an array of rules {"direction", "source_topic", "target_topic", ...}, got ${show(list)}`, here);
  const rules = list.map((rule, i) => {
    const at = `${here}[${i}]`;
    if (!isObject(rule)) fail(`${at}: expected an object {"direction", "source_topic", "target_topic", ...}`, at);
    for (const key of Object.keys(rule)) {
      if (!MAPPING_FIELDS.includes(key)) fail(`${at}.${key}: unknown field (known: ${MAPPING_FIELDS.join(', ')})`, `${at}.${key}`);
    }
    if (rule.direction !== 'up' && rule.direction !== 'down') {
      fail(`${at}.direction must be "up" (device -> platform) or "down" (platform -> device), got ${show(rule.direction)}`, `${at}.direction`);
    }
    for (const field of ['source_topic', 'target_topic']) {
      const problem = topicProblem(rule[field]);
      if (problem) fail(`${at}.${field} ${problem}, got ${show(rule[field])}`, `${at}.${field}`);
    }
    for (const field of ['name', 'description', 'data_identifier']) {
      if (rule[field] !== undefined && rule[field] !== null && typeof rule[field] !== 'string') {
        fail(`${at}.${field} must be a string, got ${show(rule[field])}`, `${at}.${field}`);
      }
    }
    if (rule.priority !== undefined && !Number.isInteger(rule.priority)) {
      fail(`${at}.priority must be an integer (smaller matches first), got ${show(rule.priority)}`, `${at}.priority`);
    }
    if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean') {
      fail(`${at}.enabled must be true or false, got ${show(rule.enabled)}`, `${at}.enabled`);
    }
    const identifier = typeof rule.data_identifier === 'string' && rule.data_identifier.trim() !== '' ? rule.data_identifier.trim() : null;
    const r = {
      at,
      name: rule.name ?? null,
      direction: rule.direction,
      source_topic: rule.source_topic,
      target_topic: rule.target_topic,
      data_identifier: identifier,
      priority: rule.priority ?? 100,
      enabled: rule.enabled ?? true,
    };
    if (r.direction === 'up') {
      if (identifier !== null) {
        warnings.push(`${at}.data_identifier is ignored: the platform's broker applies data_identifier to down rules only`);
      }
      const sample = sampleOf(r.target_topic);
      if (!UPLINK_RX.some((rx) => rx.test(sample))) {
        fail(`${at}.target_topic "${r.target_topic}" is not a standard gateway uplink topic (${UPLINK_PATTERNS.join(', ')}; `
          + 'write the message id as + or {message_id})', `${at}.target_topic`);
      }
    } else {
      if (!/\{device_number\}/.test(r.source_topic)) {
        fail(`${at}.source_topic "${r.source_topic}" must contain {device_number} (the device's custom downlink topic is filled in per device)`, `${at}.source_topic`);
      }
      const filled = r.source_topic.replace(/\{(device_number|message_id)\}/g, 'X');
      if (filled.includes('+') || /\{[A-Za-z0-9_]+\}/.test(filled)) {
        fail(`${at}.source_topic "${r.source_topic}": only {device_number} and {message_id} can be filled in a down rule's `
          + "source_topic; a '+' or another {name} leaves no concrete topic to forward to", `${at}.source_topic`);
      }
      const sample = sampleOf(r.target_topic);
      if (!/\{device_number\}/.test(r.target_topic) || !DOWNLINK_RX.some((rx) => rx.test(sample))) {
        fail(`${at}.target_topic "${r.target_topic}" is not a standard gateway downlink topic with {device_number} `
          + `(${MAPPED_DOWNLINKS.join(', ')})`, `${at}.target_topic`);
      }
      const custom = sampleOf(r.source_topic);
      if (UPLINK_RX.some((rx) => rx.test(custom)) || DOWNLINK_RX.some((rx) => rx.test(custom))) {
        fail(`${at}.source_topic "${r.source_topic}" is itself a standard topic: forwarding to it would loop `
          + 'through the mapping; a down rule forwards to a custom topic', `${at}.source_topic`);
      }
    }
    r.sourceRx = compileTopicPattern(r.source_topic);
    r.targetRx = compileTopicPattern(r.target_topic);
    return r;
  });

  const enabled = rules.filter((r) => r.enabled);
  const label = (r) => `${r.at}${r.name ? ` ("${r.name}")` : ''}`;
  for (const [i, a] of rules.entries()) {
    for (const b of rules.slice(i + 1)) {
      // The backend refuses a second row with the same direction, source and target ("topic mapping already exists").
      if (a.direction === b.direction && a.source_topic === b.source_topic && a.target_topic === b.target_topic) {
        fail(`${label(b)} repeats ${label(a)}: same direction, source_topic "${a.source_topic}" and target_topic `
          + `"${a.target_topic}" (the platform refuses such a rule too: "topic mapping already exists"); remove one`, b.at);
      }
    }
  }
  for (const [i, a] of enabled.entries()) {
    for (const b of enabled.slice(i + 1)) {
      if (a.direction !== b.direction || a.priority !== b.priority) continue;
      const sameSource = a.direction === 'up'
        ? a.source_topic === b.source_topic
        : a.target_topic === b.target_topic && a.data_identifier === b.data_identifier;
      if (sameSource) {
        fail(`${label(b)} collides with ${label(a)}: same direction, priority ${a.priority} and `
          + `${a.direction === 'up' ? `source_topic "${a.source_topic}"` : `target_topic "${a.target_topic}" and data_identifier ${show(a.data_identifier)}`}`
          + '; give one of them another priority, or remove one', b.at);
      }
    }
  }
  const ups = enabled.filter((r) => r.direction === 'up');
  for (const a of ups) {
    const produced = sampleOf(a.target_topic);
    for (const b of ups) {
      if (b.sourceRx.test(produced)) {
        fail(`${label(a)} loops: its target_topic "${a.target_topic}" matches the source_topic "${b.source_topic}" of `
          + `${a === b ? 'the same rule' : label(b)}, so a mapped message would be mapped again; make the source topics custom ones`, a.at);
      }
    }
  }
  // Stable: rules of equal priority keep their order in the file.
  return rules.map((r, i) => [r, i]).sort((x, y) => x[0].priority - y[0].priority || x[1] - y[1]).map(([r]) => r);
}

function checkScripts(scripts, here, fail) {
  const out = {};
  if (scripts === undefined) return out;
  if (!isObject(scripts)) fail(`${here} must be an object keyed by script type (${Object.keys(SCRIPT_TYPES).join(', ')}), got ${show(scripts)}`, here);
  for (const [key, script] of Object.entries(scripts)) {
    const at = `${here}.${key}`;
    if (!Object.hasOwn(SCRIPT_TYPES, key)) {
      const letter = Object.entries(SCRIPT_TYPES).find(([, l]) => l === key);
      fail(`${at}: unknown script type${letter ? ` (the platform's letter ${key} is written "${letter[0]}" here)` : ''} `
        + `(known: ${Object.entries(SCRIPT_TYPES).map(([n, l]) => `${n} (${l})`).join(', ')})`, at);
    }
    if (!isObject(script)) fail(`${at} must be an object {"content": "<Lua>"} or {"file": "script.lua"}, got ${show(script)}`, at);
    for (const field of Object.keys(script)) {
      if (!SCRIPT_FIELDS.includes(field)) fail(`${at}.${field}: unknown field (known: ${SCRIPT_FIELDS.join(', ')})`, `${at}.${field}`);
    }
    const hasContent = script.content !== undefined;
    const hasFile = script.file !== undefined;
    if (hasContent === hasFile) fail(`${at}: give exactly one of "content" (the Lua text) and "file" (a path relative to the configurations file)`, at);
    if (hasContent && typeof script.content !== 'string') fail(`${at}.content must be a string of Lua, got ${show(script.content)}`, `${at}.content`);
    if (hasFile && (typeof script.file !== 'string' || script.file === '')) fail(`${at}.file must be a non-empty path, got ${show(script.file)}`, `${at}.file`);
    if (script.enabled !== undefined && typeof script.enabled !== 'boolean') fail(`${at}.enabled must be true or false, got ${show(script.enabled)}`, `${at}.enabled`);
    for (const field of ['name', 'description']) {
      if (script[field] !== undefined && typeof script[field] !== 'string') fail(`${at}.${field} must be a string, got ${show(script[field])}`, `${at}.${field}`);
    }
    out[key] = {
      type: SCRIPT_TYPES[key],
      content: hasContent ? script.content : null,
      file: hasFile ? script.file : null,
      enabled: script.enabled ?? true,
    };
  }
  return out;
}

function checkConfiguration(c, here, fail, warnings) {
  if (!isObject(c)) fail(`${here}: expected an object {"id", "name", "template_secret", ...}`, here);
  for (const key of Object.keys(c)) {
    if (!CONFIGURATION_FIELDS.includes(key)) fail(`${here}.${key}: unknown field (known: ${CONFIGURATION_FIELDS.join(', ')})`, `${here}.${key}`);
  }
  if (typeof c.id !== 'string' || c.id === '') fail(`${here}.id must be a non-empty string (devices name it in "configuration"), got ${show(c.id)}`, `${here}.id`);
  if (c.name !== undefined && (typeof c.name !== 'string' || c.name === '')) fail(`${here}.name must be a non-empty string, got ${show(c.name)}`, `${here}.name`);
  const deviceType = c.device_type === undefined ? '2' : String(c.device_type);
  if (!Object.hasOwn(DEVICE_TYPES, deviceType)) {
    fail(`${here}.device_type must be "1" (direct device), "2" (gateway, the default) or "3" (gateway sub-device), got ${show(c.device_type)}`, `${here}.device_type`);
  }
  const voucherType = c.voucher_type ?? 'ACCESSTOKEN';
  if (!VOUCHER_TYPES.includes(voucherType)) {
    fail(`${here}.voucher_type must be "ACCESSTOKEN" (username only, the default) or "BASIC" (username and password), got ${show(c.voucher_type)}`, `${here}.voucher_type`);
  }
  if (c.template_secret !== undefined && c.template_secret !== null && (typeof c.template_secret !== 'string' || c.template_secret === '')) {
    fail(`${here}.template_secret must be a non-empty string or null, got ${show(c.template_secret)}`, `${here}.template_secret`);
  }
  let autoRegister = c.auto_register ?? false;
  if (autoRegister === 0 || autoRegister === 1) autoRegister = autoRegister === 1;
  if (typeof autoRegister !== 'boolean') fail(`${here}.auto_register must be true or false (or the platform's 1 / 0), got ${show(c.auto_register)}`, `${here}.auto_register`);
  if (autoRegister && !c.template_secret) {
    fail(`${here}.auto_register is on but there is no template_secret: a device registers with the configuration's secret; add one`, `${here}.template_secret`);
  }
  return {
    id: c.id,
    name: c.name ?? c.id,
    device_type: deviceType,
    voucher_type: voucherType,
    template_secret: c.template_secret ?? null,
    auto_register: autoRegister,
    scripts: checkScripts(c.scripts, `${here}.scripts`, fail),
    topic_mappings: checkMappings(c.topic_mappings, `${here}.topic_mappings`, fail, warnings),
  };
}

/**
 * Checks a configurations file's parsed JSON: {configurations, devices}, or the
 * old bare devices array. Returns
 * {format: 'configurations' | 'devices', configurations, devices, warnings}.
 * Throws ConfigurationsError (DevicesFileError for the old format) whose
 * message starts with `source` and the path at fault.
 * @param {unknown} value
 * @param {{source?: string}} [options]
 */
export function parseConfigurations(value, { source = 'configurations' } = {}) {
  if (Array.isArray(value)) {
    return { format: 'devices', configurations: [], devices: validateDevices(value, source), warnings: [] };
  }
  const fail = (message, path) => {
    throw new ConfigurationsError(`${source}: ${message}`, { file: source, path: path ?? '' });
  };
  if (!isObject(value)) {
    fail('expected {"configurations": [...], "devices": [...]} (or the old bare array of devices), got '
      + `${value === null ? 'null' : typeof value}`, '');
  }
  for (const key of Object.keys(value)) {
    if (!TOP_FIELDS.includes(key)) fail(`${key}: unknown field (known: ${TOP_FIELDS.join(', ')})`, key);
  }
  const list = value.configurations ?? [];
  if (!Array.isArray(list)) fail(`configurations must be an array, got ${show(value.configurations)}`, 'configurations');
  const warnings = [];
  const configurations = list.map((c, i) => checkConfiguration(c, `configurations[${i}]`, fail, warnings));
  const ids = new Map();
  const secrets = new Map();
  configurations.forEach((c, i) => {
    if (ids.has(c.id)) fail(`configurations[${i}].id "${c.id}" is already used by configurations[${ids.get(c.id)}]`, `configurations[${i}].id`);
    ids.set(c.id, i);
    if (c.template_secret !== null) {
      if (secrets.has(c.template_secret)) {
        fail(`configurations[${i}].template_secret is the same as configurations[${secrets.get(c.template_secret)}]'s: `
          + 'a registration names its configuration by the secret, so each must be unique', `configurations[${i}].template_secret`);
      }
      secrets.set(c.template_secret, i);
    }
  });
  const rawDevices = value.devices ?? [];
  if (!Array.isArray(rawDevices)) fail(`devices must be an array of devices, got ${show(value.devices)}`, 'devices');
  const at = (i) => `devices[${i}]`;
  const deviceFail = (message, index, field) => fail(message, index === undefined ? 'devices' : `${at(index)}${field ? `.${field}` : ''}`);
  const devices = checkDevices(rawDevices, at, deviceFail);
  devices.forEach((d, i) => {
    if (d.configuration !== undefined && !ids.has(d.configuration)) {
      deviceFail(`${at(i)}.configuration "${d.configuration}" is not the id of any configuration `
        + `(${configurations.length ? configurations.map((c) => `"${c.id}"`).join(', ') : 'the file has none'})`, i, 'configuration');
    }
  });
  checkParents(devices, at, deviceFail);
  return { format: 'configurations', configurations, devices, warnings };
}
