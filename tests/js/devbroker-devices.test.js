// tpgate/broker without sockets: the devices file's checks (every error
// names the entry index and field), the generated devices for the emulator's
// gateways (docs/scenario.md "gateways"), the topic rules (acl.js, against
// docs/thingspanel.md#topics), and startBroker's option checks.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  DevicesFileError, deviceIdFor, generateDevices, loadDevicesFile, publishDenial, startBroker, subscribeDenial, validateDevices,
} from 'tpgate/broker';

const ok = { device_id: 'id-1', device_number: 'gw-1', username: 'u1' };

function rejects(devices, index, field, pattern) {
  assert.throws(() => validateDevices(devices, 'devices.json'), (err) => {
    assert.ok(err instanceof DevicesFileError, String(err));
    assert.equal(err.code, 'ERR_INVALID_DEVICES');
    assert.equal(err.index, index);
    assert.equal(err.field, field);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('devices file checks', () => {
  test('a good entry is normalised: type "gateway", password null', () => {
    assert.deepEqual(validateDevices([ok, { ...ok, device_id: 'id-2', device_number: 'gw-2', username: 'u2', password: 'p', type: 'device' }]), [
      { ...ok, type: 'gateway', password: null },
      { device_id: 'id-2', device_number: 'gw-2', username: 'u2', password: 'p', type: 'device' },
    ]);
  });

  test('each problem names the index and field', () => {
    rejects({ devices: [] }, undefined, undefined, /devices\.json: expected a JSON array/);
    rejects([ok, 'gw-2'], 1, undefined, /\[1\]: expected an object/);
    rejects([{ ...ok, devicenumber: 'x' }], 0, 'devicenumber', /\[0\]\.devicenumber: unknown field \(known: device_id, device_number/);
    rejects([{ ...ok, device_id: '' }], 0, 'device_id', /\[0\]\.device_id must be a non-empty string/);
    rejects([{ ...ok, device_number: 'gw/1' }], 0, 'device_number', /must not contain '\/', '\+' or '#'/);
    rejects([{ ...ok, username: undefined }], 0, 'username', /\[0\]\.username must be a non-empty string \(the device's voucher\)/);
    rejects([{ ...ok, username: 'root' }], 0, 'username', /"root" is reserved for the ThingsPanel platform/);
    rejects([{ ...ok, password: 42 }], 0, 'password', /\[0\]\.password must be a string, null or absent, got 42/);
    rejects([ok, { ...ok, device_id: 'id-2', device_number: 'gw-2' }], 1, 'username', /\[1\]\.username "u1" is already used by entry \[0\]/);
    rejects([ok, { ...ok, username: 'u2' }], 1, 'device_id', /\[1\]\.device_id "id-1" is already used by entry \[0\]/);
  });

  test('a file that is not JSON or cannot be read says so', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-devices-'));
    try {
      const file = path.join(dir, 'devices.json');
      await writeFile(file, '[{"device_id": "a",]');
      await assert.rejects(loadDevicesFile(file), /devices\.json: not valid JSON/);
      await assert.rejects(loadDevicesFile(path.join(dir, 'missing.json')), /missing\.json: cannot read the devices file \(ENOENT\)/);
      await assert.rejects(startBroker({ tcpPort: 0, wsPort: 0, thingspanel: file, log: false }), (err) => err.code === 'ERR_INVALID_DEVICES');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('generated devices', () => {
  test('the emulator\'s default gateway names: gw-{i}, username = device_number, no password', () => {
    const [one] = generateDevices();
    assert.deepEqual(one, { device_id: deviceIdFor('gw-1'), device_number: 'gw-1', type: 'gateway', username: 'gw-1' });
    assert.match(one.device_id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(deviceIdFor('gw-1'), one.device_id, 'stable across runs');
  });

  test('templates {i}, {i:N}, {device_number}; a password template', () => {
    const devices = generateDevices({ count: 3, firstIndex: 9, deviceNumber: 'site-{i:3}', username: 'v-{device_number}', password: 'pw{i}' });
    assert.deepEqual(devices.map((d) => [d.device_number, d.username, d.password]), [
      ['site-009', 'v-site-009', 'pw9'], ['site-010', 'v-site-010', 'pw10'], ['site-011', 'v-site-011', 'pw11'],
    ]);
    assert.equal(new Set(devices.map((d) => d.device_id)).size, 3);
  });
});

describe('topic rules (docs/thingspanel.md#topics)', () => {
  test('publish: the five gateway uplinks only', () => {
    for (const topic of ['gateway/telemetry', 'gateway/attributes/123', 'gateway/event/1', 'gateway/command/response/9', 'gateway/attributes/set/response/9']) {
      assert.equal(publishDenial(topic), null, topic);
    }
    for (const topic of ['gateway/telemetry/control/gw-1', 'gateway/attributes/', 'gateway/attributes/set/gw-1/1', 'gateway/command/gw-1/1',
      'devices/telemetry', 'gateway', 'gateway/attributes/1/2']) {
      assert.match(publishDenial(topic), /not a gateway uplink topic/, topic);
    }
    assert.match(publishDenial('devices/status/abc'), /published by the broker only/);
  });

  test('subscribe: the eight downlink filters of the device\'s own device_number', () => {
    const own = ['gateway/telemetry/control/gw-1', 'gateway/attributes/set/gw-1/+', 'gateway/attributes/set/gw-1/77', 'gateway/attributes/get/gw-1',
      'gateway/command/gw-1/+', 'gateway/attributes/response/gw-1/+', 'gateway/event/response/gw-1/+',
      'devices/attributes/response/gw-1/+', 'devices/event/response/gw-1/+'];
    for (const filter of own) assert.equal(subscribeDenial(filter, 'gw-1'), null, filter);
    for (const filter of ['gateway/command/gw-2/+', 'gateway/command/+/+', 'gateway/command/gw-1/#', 'gateway/#', '#',
      'gateway/telemetry', 'devices/status/+', 'gateway/telemetry/control/gw-1/x']) {
      assert.match(subscribeDenial(filter, 'gw-1'), /not one of the downlink filters of device_number 'gw-1'/, filter);
    }
  });
});

describe('startBroker option checks', () => {
  test('unknown options, bad ports and no listener are refused before anything starts', async () => {
    await assert.rejects(startBroker({ tcpport: 1883 }), (err) => err.code === 'ERR_INVALID_OPTION' && /unknown option 'tcpport'/.test(err.message));
    await assert.rejects(startBroker({ tcpPort: 70000 }), /tcpPort must be a port number 0\.\.65535/);
    await assert.rejects(startBroker({ tcpPort: null, wsPort: null }), /at least one of tcpPort and wsPort/);
    await assert.rejects(startBroker({ wsPath: 'mqtt' }), /wsPath must start with '\/'/);
  });

  test('a taken port is named in the error', async () => {
    const first = await startBroker({ tcpPort: 0, wsPort: null, log: false });
    try {
      await assert.rejects(startBroker({ tcpPort: first.tcpPort, wsPort: null, log: false }),
        new RegExp(`cannot listen for MQTT over TCP on 127\\.0\\.0\\.1:${first.tcpPort} \\(EADDRINUSE\\): the port is taken`));
    } finally {
      await first.close();
    }
  });

  test('the WebSocket listener serves only its path', async () => {
    const lines = [];
    const b = await startBroker({ tcpPort: null, wsPort: 0, wsPath: '/custom', log: (l) => lines.push(l) });
    try {
      assert.equal(b.urls.ws, `ws://127.0.0.1:${b.wsPort}/custom`);
      const { default: WebSocket } = await import('ws');
      const status = await new Promise((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${b.wsPort}/mqtt`, 'mqtt');
        ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
        ws.on('error', () => {});
        ws.on('open', () => resolve('open'));
      });
      assert.equal(status, 404);
      assert.ok(lines.some((l) => l.includes('WebSocket upgrade on /mqtt refused: MQTT is served on /custom')));
    } finally {
      await b.close();
    }
  });
});
