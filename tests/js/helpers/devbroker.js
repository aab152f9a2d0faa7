// Shared set-up for the dev broker tests (tests/js/devbroker-*.test.js): a
// ThingsPanel-mode broker from tpgate/broker on free loopback ports, with two
// gateways (one with a password, one without) and the platform user root,
// its log kept for the test to read; plus small helpers for MQTT.js clients.
//
//   const tp = await startThingsPanelBroker();
//   const gw = await mqttConnect(tp.url('tcp'), tp.voucher(0));
//   await tp.waitLog(/connect accepted: client 'x'/);
//   await tp.close();
//
// or, for a whole test file: `const tp = useThingsPanelBroker();` at the top.
import { after, before } from 'node:test';
import mqtt from 'mqtt';
import { startBroker } from 'tpgate/broker';

export const ROOT_PASSWORD = 'root-secret';

export const DEVICES = [
  { device_id: '6f2b1c3e-0000-4000-8000-000000000001', device_number: 'gw-1', type: 'gateway', username: 'voucher-gw-1', password: 'pw-1' },
  { device_id: '6f2b1c3e-0000-4000-8000-000000000002', device_number: 'gw-2', type: 'gateway', username: 'voucher-gw-2' },
];

export const TRANSPORTS = ['tcp', 'ws'];

let seq = 0;
/** A client id no other test uses. */
export const uniqueId = (prefix) => `${prefix}-${process.pid}-${++seq}`;

/**
 * @param {object} [options] extra startBroker options (rootPassword defaults to ROOT_PASSWORD)
 */
export async function startThingsPanelBroker(options = {}) {
  const lines = [];
  const waiters = new Set();
  const broker = await startBroker({
    tcpPort: 0,
    wsPort: 0,
    thingspanel: DEVICES,
    rootPassword: ROOT_PASSWORD,
    ...options,
    log: (line) => {
      lines.push(line);
      for (const w of waiters) w(line);
    },
  });
  return {
    broker,
    lines,
    /** The broker's URL for a transport. */
    url: (transport) => broker.urls[transport],
    /** MQTT.js / tpgate options carrying DEVICES[i]'s voucher. */
    voucher: (i) => (DEVICES[i].password ? { username: DEVICES[i].username, password: DEVICES[i].password } : { username: DEVICES[i].username }),
    root: () => ({ username: 'root', password: ROOT_PASSWORD }),
    /** Resolves with the first log line (already written or to come) that matches. */
    waitLog(pattern, timeoutMs = 5000) {
      const hit = lines.find((l) => pattern.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no log line matched ${pattern} within ${timeoutMs} ms; log:\n${lines.join('\n')}`));
        }, timeoutMs);
        const check = (line) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(line);
        };
        waiters.add(check);
      });
    },
    close: () => broker.close(),
  };
}

/**
 * One ThingsPanel-mode broker for the tests of a file: registers a before()
 * hook that starts it and an after() hook that closes it. The returned object
 * gets startThingsPanelBroker()'s members once before() has run.
 *
 * With `observer: { filter, keep }`, root also connects (MQTT.js, over TCP),
 * subscribes to `filter`, and `tp.observer` is that client and `tp.seen` a
 * collector() of its messages whose topics pass `keep`; root disconnects
 * before the broker closes.
 */
export function useThingsPanelBroker({ observer } = {}) {
  const tp = {};
  before(async () => {
    Object.assign(tp, await startThingsPanelBroker());
    if (observer) {
      tp.observer = await mqttConnect(tp.url('tcp'), tp.root());
      await tp.observer.subscribeAsync(observer.filter, { qos: 1 });
      tp.seen = collector(tp.observer, observer.keep);
    }
  });
  after(async () => {
    await tp.observer?.endAsync();
    await tp.close?.();
  });
  return tp;
}

/** An MQTT.js client that does not reconnect; rejects with the CONNACK error when refused. */
export function mqttConnect(url, options = {}) {
  return mqtt.connectAsync(url, { clientId: uniqueId('mqttjs'), reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/**
 * Collects the messages `client` (MQTT.js or tpgate) receives on topics that
 * `keep(topic)` accepts; next(n) resolves with the first n.
 */
export function collector(client, keep = () => true) {
  const got = [];
  const waiters = [];
  client.on('message', (topic, payload) => {
    if (!keep(topic)) return;
    got.push({ topic, payload: Buffer.from(payload) });
    for (const w of [...waiters]) w();
  });
  return {
    got,
    next(n = 1, timeoutMs = 5000) {
      if (got.length >= n) return Promise.resolve(got.slice(0, n));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} messages arrived within ${timeoutMs} ms`)), timeoutMs);
        const w = () => {
          if (got.length < n) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(w), 1);
          resolve(got.slice(0, n));
        };
        waiters.push(w);
      });
    },
  };
}

/** Waits `ms`: long enough for a message that should not arrive to have arrived. */
export const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

/** The envelope the ThingsPanel broker makes of a device's payload (docs/thingspanel.md#broker-envelope). */
export function envelopeOf(deviceId, payload) {
  return JSON.stringify({ device_id: deviceId, values: Buffer.from(payload).toString('base64') });
}
