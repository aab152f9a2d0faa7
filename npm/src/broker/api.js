// The ThingsPanel mode's HTTP API: the backend's unauthenticated registration
// calls (docs/broker.md#http-api), answered from the broker's device table.
// Every answer is the backend's envelope {"code", "message", "data"?} with
// HTTP 200, as its response middleware writes it: code 200 on success, the
// backend's error codes otherwise (100002 bad request, 200080-200086 device
// registration). Plus GET /api/v1/tpgate/devices, a tpgate extension.
import http from 'node:http';
import { DEVICE_TYPES, topicLevelProblem } from '../configurations.js';
import { newId } from './registry.js';

/** Largest request body read, in bytes; a longer one is refused (HTTP 413). */
export const MAX_BODY_BYTES = 64 * 1024;

const MESSAGES = {
  200: 'Success',
  100002: 'Parameter Validation Failed',
  100404: 'Not Found',
  200080: 'Template secret does not exist',
  200081: 'Auto-registration is disabled',
  200082: 'Device already exists',
  200083: 'Product key does not exist',
  200084: 'Sub-device registration needs sub_device_addr and parent_device_number',
  200085: 'Parent device does not exist',
  200086: 'Sub-device address already exists under the parent device',
};

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, accept-language, x-token',
  'access-control-max-age': '600',
};

class ApiError extends Error {
  constructor(code, message, status = 200) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** The backend's code, with its message and what went wrong. */
const fail = (code, detail, status) => new ApiError(code, detail ? `${MESSAGES[code]}: ${detail}` : MESSAGES[code], status);

function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES) {
      reject(fail(100002, `the request body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`, 413));
      return;
    }
    const chunks = [];
    let size = 0;
    const onData = (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Refused at once; the rest is read and thrown away.
        req.off('data', onData);
        req.resume();
        reject(fail(100002, `the request body is over ${MAX_BODY_BYTES} bytes; send a smaller JSON object`, 413));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonObject(text, example) {
  let body;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw fail(100002, `the body is not JSON (${err.message}); send a JSON object like ${example}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw fail(100002, `the body must be a JSON object like ${example}, got ${Array.isArray(body) ? 'an array' : JSON.stringify(body)}`);
  }
  return body;
}

/** A string field: required ones must be non-empty; max is the backend's validate max. */
function stringField(body, name, { required = false, max = 255 } = {}) {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw fail(100002, `${name} is required (a non-empty string)`);
    return undefined;
  }
  if (typeof v !== 'string') throw fail(100002, `${name} must be a string, got ${JSON.stringify(v)}`);
  if (required && v === '') throw fail(100002, `${name} is required (a non-empty string), got ""`);
  if (v.length > max) throw fail(100002, `${name} must be at most ${max} characters, got ${v.length}`);
  return v;
}

function numberField(value, name) {
  const problem = topicLevelProblem(value);
  if (problem) throw fail(100002, `${name} ${problem} in the dev broker (it becomes a topic level), got ${JSON.stringify(value)}`);
  return value;
}

/**
 * @param {{registry: object, mode: object, host: string, port: number, log: (line: string) => void}} options
 * @returns {Promise<{port: number, close: () => Promise<void>}>}
 */
export async function openApi({ registry, mode, host, port, log }) {
  // POST /api/v1/device/auth: one-type-one-secret self-registration.
  async function deviceAuth(body) {
    const secret = stringField(body, 'template_secret', { required: true });
    const dn = stringField(body, 'device_number', { required: true });
    const name = stringField(body, 'device_name');
    const productKey = stringField(body, 'product_key');
    const subAddr = stringField(body, 'sub_device_addr');
    const parentNumber = stringField(body, 'parent_device_number');

    const configuration = registry.bySecret(secret);
    if (!configuration) throw fail(200080, 'no configuration has this template_secret; check the secret in the configurations file');
    if (!configuration.auto_register) {
      throw fail(200081, `configuration "${configuration.id}" has auto_register off; turn it on in the configurations file to let devices register`);
    }
    if (registry.byNumber(dn)) {
      throw fail(200082, `device_number "${dn}" is already in the device table; a device registers once, then keeps its voucher`);
    }
    numberField(dn, 'device_number');
    if (productKey) throw fail(200083, `product_key "${productKey}": the dev broker has no products; leave product_key out`);
    let parent = null;
    if (configuration.device_type === '3') {
      if (!subAddr || !parentNumber) {
        throw fail(200084, `configuration "${configuration.id}" is for gateway sub-devices (device_type 3): send both sub_device_addr and parent_device_number`);
      }
      parent = registry.byNumber(parentNumber);
      if (!parent) throw fail(200085, `no device has device_number "${parentNumber}"; register the parent gateway first`);
      if (registry.subDevice(parent.device_number, subAddr)) {
        throw fail(200086, `gateway "${parent.device_number}" already has a sub-device at address "${subAddr}"`);
      }
    }
    const username = newId();
    const password = configuration.voucher_type === 'BASIC' ? newId().slice(0, 7) : null;
    const entry = {
      device_id: newId(),
      device_number: dn,
      type: DEVICE_TYPES[configuration.device_type],
      username,
      ...(password === null ? {} : { password }),
      name: name || `Device_${dn}`,
      configuration: configuration.id,
      registered: true,
      ...(parent ? { sub_device_addr: subAddr, parent_device_number: parent.device_number } : {}),
    };
    add(entry);
    const voucher = password === null ? JSON.stringify({ username }) : JSON.stringify({ username, password });
    log(`registered: device ${dn} (device_id ${entry.device_id}, configuration ${configuration.id}`
      + `${parent ? `, sub-device "${subAddr}" of ${parent.device_number}` : ''}) over HTTP`);
    return { device_id: entry.device_id, voucher };
  }

  // POST /api/v1/device/gateway-register: a gateway by its number; again = the same voucher.
  async function gatewayRegister(body) {
    const gatewayId = stringField(body, 'gateway_id', { required: true });
    stringField(body, 'tenant_id');
    const model = stringField(body, 'model');
    const existing = registry.byNumber(gatewayId);
    if (existing) {
      return { mqtt_username: existing.username, mqtt_password: existing.password ?? '', mqtt_client_id: existing.device_id };
    }
    numberField(gatewayId, 'gateway_id');
    const configuration = model ? registry.byName(model) : undefined;
    const entry = {
      device_id: newId(),
      device_number: gatewayId,
      type: 'gateway',
      username: newId().slice(0, 22),
      password: newId().slice(0, 7),
      ...(model ? { name: model } : {}),
      ...(configuration ? { configuration: configuration.id } : {}),
      registered: true,
    };
    add(entry);
    log(`registered: gateway ${gatewayId} (device_id ${entry.device_id}${configuration ? `, configuration ${configuration.id}` : ''}) over HTTP`);
    return { mqtt_username: entry.username, mqtt_password: entry.password, mqtt_client_id: entry.device_id };
  }

  // POST /api/v1/device/gateway-sub-register: sub-devices of a registered gateway, per address.
  async function gatewaySubRegister(body) {
    stringField(body, 'type');
    const deviceId = stringField(body, 'device_id', { required: true });
    const registers = body.registers ?? [];
    if (!Array.isArray(registers)) throw fail(100002, `registers must be an array of {"sub_addr", "model", "protocol"}, got ${JSON.stringify(registers)}`);
    registers.forEach((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw fail(100002, `registers[${i}] must be an object {"sub_addr", "model", "protocol"}`);
      for (const f of ['sub_addr', 'model', 'protocol']) {
        if (r[f] !== undefined && typeof r[f] !== 'string') throw fail(100002, `registers[${i}].${f} must be a string, got ${JSON.stringify(r[f])}`);
      }
      if (!r.sub_addr) throw fail(100002, `registers[${i}].sub_addr is required (the sub-device's address on the gateway)`);
    });
    const gateway = registry.byId(deviceId);
    if (!gateway) {
      return {
        type: 'sub-register-response',
        status: 'fail',
        message: `gateway device not found: no device has device_id "${deviceId}"; register the gateway first (POST /api/v1/device/gateway-register)`,
        registersRes: null,
      };
    }
    const results = {};
    for (const r of registers) {
      if (registry.subDevice(gateway.device_number, r.sub_addr)) {
        results[r.sub_addr] = { result: 1, errorcode: 'exists', message: '', sub_addr: r.sub_addr };
        continue;
      }
      const configuration = r.model ? registry.byName(r.model) : undefined;
      const entry = {
        device_id: newId(),
        device_number: newId(),
        type: 'sub-device',
        username: newId(),
        ...(r.model ? { name: r.model } : {}),
        ...(configuration ? { configuration: configuration.id } : {}),
        registered: true,
        sub_device_addr: r.sub_addr,
        parent_device_number: gateway.device_number,
      };
      add(entry);
      log(`registered: sub-device "${r.sub_addr}" of ${gateway.device_number} (device_id ${entry.device_id}) over HTTP`);
      results[r.sub_addr] = { result: 0, errorcode: '', message: 'success', sub_addr: r.sub_addr };
    }
    return { type: 'sub-register-response', status: 'success', message: 'success', registersRes: results };
  }

  function listDevices() {
    return {
      devices: registry.devices.map((d) => ({
        device_id: d.device_id,
        device_number: d.device_number,
        name: d.name ?? null,
        type: d.type,
        configuration: d.configuration ?? null,
        registered: d.registered === true,
        connected_ever: mode.connectedEver(d),
        online: mode.isOnline(d),
        ...(d.parent_device_number === undefined ? {} : { parent_device_number: d.parent_device_number, sub_device_addr: d.sub_device_addr }),
      })),
    };
  }

  function add(entry) {
    const device = { ...entry, password: entry.password ?? null };
    registry.add(device, entry);
  }

  const POSTS = {
    '/api/v1/device/auth': [deviceAuth, '{"template_secret": "...", "device_number": "..."}'],
    '/api/v1/device/gateway-register': [gatewayRegister, '{"gateway_id": "...", "tenant_id": "...", "model": "..."}'],
    '/api/v1/device/gateway-sub-register': [gatewaySubRegister, '{"type": "...", "device_id": "...", "registers": [{"sub_addr": "..."}]}'],
  };
  const GETS = { '/api/v1/tpgate/devices': listDevices };

  const send = (res, status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...CORS,
      ...(status === 413 ? { connection: 'close' } : {}),
    });
    res.end(text);
  };

  async function handle(req, res) {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS);
      res.end();
      return;
    }
    try {
      if (Object.hasOwn(POSTS, url.pathname) && req.method === 'POST') {
        const [fn, example] = POSTS[url.pathname];
        const body = parseJsonObject(await readBody(req), example);
        const data = await fn(body);
        await registry.flushed();
        send(res, 200, { code: 200, message: MESSAGES[200], data });
        return;
      }
      if (Object.hasOwn(GETS, url.pathname) && req.method === 'GET') {
        send(res, 200, { code: 200, message: MESSAGES[200], data: GETS[url.pathname]() });
        return;
      }
      const known = [...Object.keys(POSTS).map((p) => `POST ${p}`), ...Object.keys(GETS).map((p) => `GET ${p}`)];
      throw fail(100404, `${req.method} ${url.pathname} is not an endpoint of the dev broker (known: ${known.join(', ')})`, 404);
    } catch (err) {
      if (!(err instanceof ApiError)) {
        log(`api: ${req.method} ${url.pathname}: ${err.stack ?? err}`);
        err = new ApiError(100000, `Internal Server Error: ${err.message}`, 500);
      }
      log(`api: ${req.method} ${url.pathname} -> ${err.code} ${err.message}`);
      if (!res.headersSent) send(res, err.status, { code: err.code, message: err.message });
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => log(`api: ${err.message}`));
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const bound = await new Promise((resolve, reject) => {
    const onError = (err) => {
      const hint = err.code === 'EADDRINUSE' ? ': the port is taken; pick another --api-port, or 0 for a free one' : '';
      reject(new Error(`cannot listen for the HTTP API on ${host}:${port} (${err.code ?? err.message})${hint}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address().port);
    });
  });
  return {
    port: bound,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
