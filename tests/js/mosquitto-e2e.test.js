// End to end: a wasm ClientSession over a real WebSocket (`ws`, subprotocol
// 'mqtt') to a real mosquitto. Connect, subscribe, publish QoS 1, receive the
// message back byte-identical, PUBACK completes, disconnect. Both versions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadTpgate } from 'tpgate';
import { startMosquitto } from './helpers/mosquitto.js';
import { SessionHost } from './helpers/session-host.js';

const tpgate = await loadTpgate();
let broker;

before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

for (const version of [4, 5]) {
  const name = version === 4 ? 'MQTT 3.1.1' : 'MQTT 5';
  test(`${name}: subscribe, publish QoS 1, own message back, PUBACK, disconnect`, async (t) => {
    const clientId = `tpgate-e2e-v${version}-${process.pid}`;
    const host = new SessionHost(tpgate, broker.wsUrl, {
      version,
      clientId,
      keepAlive: 30,
      reconnect: { enabled: false },
    });
    t.after(() => host.dispose());
    assert.equal(host.optionsError, null);

    host.start();
    const connected = await host.next('connected');
    assert.equal(connected.sessionPresent, false);
    assert.equal(connected.connack.reasonCode, 0);
    assert.equal(host.session.state(), 'connected');

    const topic = `tpgate/e2e/${clientId}`;
    const sub = host.call('subscribe', [{ filter: topic, qos: 1 }], undefined);
    assert.equal(sub.ok, true, sub.message);
    const suback = await host.next('subscribeComplete', (e) => e.token === sub.token);
    assert.deepEqual(suback.suback.reasonCodes, [1]);  // granted QoS 1

    // Every byte value, so any text decoding on the way would show.
    const payload = new Uint8Array(256).map((_, i) => (i * 7 + 3) & 0xff);
    const pub = host.call('publish', { topic, payload, qos: 1 });
    assert.equal(pub.ok, true, pub.message);

    const message = await host.next('message');
    assert.equal(message.publish.topic, topic);
    assert.equal(message.publish.qos, 1);
    assert.ok(message.publish.payload instanceof Uint8Array);
    assert.deepEqual(Buffer.from(message.publish.payload), Buffer.from(payload));

    const done = await host.next('publishComplete', (e) => e.token === pub.token);
    assert.equal(done.qos, 1);
    assert.ok(done.packetId > 0);
    assert.ok(done.reasonCode < 0x80, `PUBACK reason ${done.reasonCode}`);
    assert.equal(host.session.inflightCount(), 0);

    const end = host.disconnect();
    assert.equal(end.ok, true);
    const lastWrite = host.written.at(-1);
    assert.equal(lastWrite[0], 0xe0);  // DISCONNECT
    await host.next('transportClosed');
    assert.equal(host.session.state(), 'closed');
    const problems = host.events.filter((e) => ['error', 'hostError', 'operationFailed'].includes(e.type));
    assert.deepEqual(problems, []);
    assert.ok(!broker.log().includes('error'), broker.log());
  });
}
