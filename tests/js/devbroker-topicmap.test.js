// Topic mapping in the dev broker's ThingsPanel mode (docs/thingspanel.md#topic-mapping,
// docs/configurations.md#topic-mappings): a device publish on a custom topic an up
// rule matches arrives on the standard topic, enveloped, and not on the custom
// one; a standard downlink the platform publishes also reaches the device on its
// custom topic, cut to `params` when a data_identifier matches the `method`;
// priorities decide; rules that loop or collide are refused at start.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigurationsError, startBroker } from 'tpgate/broker';
import { collector, envelopeOf, mqttConnect, settle } from './helpers/devbroker.js';

const TIMEOUT = { timeout: 30_000 };
const ROOT_PW = 'root-pw';

const CONFIG = {
  configurations: [{
    id: 'custom',
    name: 'Custom topics',
    topic_mappings: [
      { name: 'telemetry', direction: 'up', source_topic: 'site/{device_number}/up', target_topic: 'gateway/telemetry' },
      { name: 'attributes', direction: 'up', source_topic: 'site/+/attrs/{message_id}', target_topic: 'gateway/attributes/{message_id}' },
      { name: 'events, generated id', direction: 'up', source_topic: 'site/+/event', target_topic: 'gateway/event/+' },
      { name: 'low priority', direction: 'up', source_topic: 'prio/+', target_topic: 'gateway/event/{message_id}', priority: 5 },
      { name: 'high priority', direction: 'up', source_topic: 'prio/x', target_topic: 'gateway/telemetry', priority: 1 },
      { name: 'disabled', direction: 'up', source_topic: 'off/+', target_topic: 'gateway/telemetry', enabled: false },
      { name: 'control', direction: 'down', source_topic: 'site/{device_number}/down', target_topic: 'gateway/telemetry/control/{device_number}' },
      { name: 'wled', direction: 'down', source_topic: 'wled/{device_number}/cmd', target_topic: 'gateway/command/{device_number}/+', data_identifier: 'wled' },
      { name: 'command fallback', direction: 'down', source_topic: 'default/{device_number}/cmd/{message_id}', target_topic: 'gateway/command/{device_number}/+', priority: 2 },
    ],
  }],
  devices: [
    { device_id: 'id-mapped', device_number: 'm1', username: 'u-mapped', configuration: 'custom' },
    { device_id: 'id-plain', device_number: 'p1', username: 'u-plain' },
  ],
};

describe('topic mapping', () => {
  let broker;
  let root;
  let inbox;
  const lines = [];
  before(async () => {
    broker = await startBroker({ tcpPort: 0, wsPort: null, thingspanel: CONFIG, rootPassword: ROOT_PW, log: (l) => lines.push(l) });
    root = await mqttConnect(broker.urls.tcp, { username: 'root', password: ROOT_PW });
    await root.subscribeAsync('#', { qos: 1 });
    inbox = collector(root, (t) => !t.startsWith('devices/status/'));
  });
  after(async () => {
    await root?.endAsync();
    await broker?.close();
  });

  const since = (n) => inbox.got.slice(n);

  test('up: a custom topic arrives on the standard one, enveloped; the original is not delivered', TIMEOUT, async () => {
    const dev = await mqttConnect(broker.urls.tcp, { username: 'u-mapped' });
    try {
      const start = inbox.got.length;
      await dev.publishAsync('site/m1/up', '{"temperature":21}', { qos: 1 });
      await inbox.next(start + 1);
      await settle();
      const got = since(start);
      assert.deepEqual(got.map((m) => m.topic), ['gateway/telemetry']);
      assert.equal(got[0].payload.toString(), envelopeOf('id-mapped', '{"temperature":21}'));
      assert.ok(lines.some((l) => /topic mapped: .*'site\/m1\/up' -> 'gateway\/telemetry'/.test(l)), lines.join('\n'));
    } finally {
      await dev.endAsync();
    }
  });

  test('up: {message_id} is carried over from the source, or generated for a + target', TIMEOUT, async () => {
    const dev = await mqttConnect(broker.urls.tcp, { username: 'u-mapped' });
    try {
      const start = inbox.got.length;
      await dev.publishAsync('site/m1/attrs/4711', '{"v":1}', { qos: 1 });
      await dev.publishAsync('site/m1/event', '{"method":"boot","params":{}}', { qos: 1 });
      await inbox.next(start + 2);
      const [attrs, event] = since(start);
      assert.equal(attrs.topic, 'gateway/attributes/4711');
      assert.match(event.topic, /^gateway\/event\/\d{7}$/);
      assert.equal(event.payload.toString(), envelopeOf('id-mapped', '{"method":"boot","params":{}}'));
    } finally {
      await dev.endAsync();
    }
  });

  test('up: the rule with the smaller priority wins; disabled rules and unmatched custom topics are dropped', TIMEOUT, async () => {
    const dev = await mqttConnect(broker.urls.tcp, { username: 'u-mapped' });
    try {
      const start = inbox.got.length;
      await dev.publishAsync('prio/x', 'A', { qos: 1 });
      await dev.publishAsync('off/1', 'B', { qos: 1 });
      await dev.publishAsync('elsewhere/1', 'C', { qos: 1 });
      await dev.publishAsync('gateway/telemetry', 'D', { qos: 1 });
      await inbox.next(start + 2);
      await settle();
      assert.deepEqual(since(start).map((m) => [m.topic, m.payload.toString()]), [
        ['gateway/telemetry', envelopeOf('id-mapped', 'A')],
        ['gateway/telemetry', envelopeOf('id-mapped', 'D')],
      ]);
    } finally {
      await dev.endAsync();
    }
  });

  test('up: a device whose configuration has no rules keeps the standard topics only', TIMEOUT, async () => {
    const dev = await mqttConnect(broker.urls.tcp, { username: 'u-plain' });
    try {
      const start = inbox.got.length;
      await dev.publishAsync('site/p1/up', 'x', { qos: 1 });
      await settle();
      assert.deepEqual(since(start), []);
    } finally {
      await dev.endAsync();
    }
  });

  test('down: the standard downlink also reaches the custom topic; the device may subscribe to it', TIMEOUT, async () => {
    const dev = await mqttConnect(broker.urls.tcp, { username: 'u-mapped' });
    try {
      const granted = await dev.subscribeAsync('site/m1/down', { qos: 1 });
      assert.equal(granted[0].qos, 1, 'a down rule\'s custom topic may be subscribed');
      await assert.rejects(dev.subscribeAsync('site/other/down', { qos: 1 }), /Subscribe error/, 'only with its own device_number');
      const got = collector(dev);
      await root.publishAsync('gateway/telemetry/control/m1', '{"switch":1}', { qos: 1 });
      const [m] = await got.next(1);
      assert.equal(m.topic, 'site/m1/down');
      assert.equal(m.payload.toString(), '{"switch":1}', 'no data_identifier: the payload as the platform sent it');
    } finally {
      await dev.endAsync();
    }
  });

  test('down: data_identifier matches method and cuts the payload to params; otherwise the fallback rule', TIMEOUT, async () => {
    const dev = await mqttConnect(broker.urls.tcp, { username: 'u-mapped' });
    try {
      await dev.subscribeAsync('wled/m1/cmd', { qos: 1 });
      await dev.subscribeAsync('default/m1/cmd/+', { qos: 1 });
      const got = collector(dev);
      await root.publishAsync('gateway/command/m1/100', '{"method":"wled","params":{"delay":3}}', { qos: 1 });
      await root.publishAsync('gateway/command/m1/101', '{"method":"reboot","params":{}}', { qos: 1 });
      await root.publishAsync('gateway/command/m1/102', 'not json', { qos: 1 });
      const msgs = await got.next(3);
      assert.deepEqual(msgs.map((m) => [m.topic, m.payload.toString()]), [
        ['wled/m1/cmd', '{"delay":3}'],
        ['default/m1/cmd/101', '{"method":"reboot","params":{}}'],
        ['default/m1/cmd/102', 'not json'],
      ]);
    } finally {
      await dev.endAsync();
    }
  });

  test('down: a device of another configuration gets nothing forwarded', TIMEOUT, async () => {
    const dev = await mqttConnect(broker.urls.tcp, { username: 'u-plain' });
    try {
      await assert.rejects(dev.subscribeAsync('site/p1/down', { qos: 1 }), /Subscribe error/);
      const start = lines.length;
      await root.publishAsync('gateway/telemetry/control/p1', '{}', { qos: 1 });
      await settle();
      assert.ok(!lines.slice(start).some((l) => l.includes('topic mapped')), lines.slice(start).join('\n'));
    } finally {
      await dev.endAsync();
    }
  });
});

describe('rules that loop or collide are refused at start', () => {
  const start = (topic_mappings) => startBroker({
    tcpPort: 0, wsPort: null, log: false,
    thingspanel: { configurations: [{ id: 'c', topic_mappings }], devices: [] },
  });

  test('an up target that another up rule maps again', TIMEOUT, async () => {
    await assert.rejects(start([
      { name: 'one', direction: 'up', source_topic: 'a/+', target_topic: 'gateway/attributes/+' },
      { name: 'two', direction: 'up', source_topic: 'gateway/attributes/+', target_topic: 'gateway/telemetry' },
    ]), (err) => {
      assert.ok(err instanceof ConfigurationsError, String(err));
      assert.equal(err.code, 'ERR_INVALID_CONFIGURATIONS');
      assert.match(err.message, /topic_mappings\[0\] \("one"\) loops: its target_topic "gateway\/attributes\/\+" matches the source_topic "gateway\/attributes\/\+" of configurations\[0\]\.topic_mappings\[1\] \("two"\)/);
      return true;
    });
  });

  test('a down rule forwarding to a standard topic', TIMEOUT, async () => {
    await assert.rejects(start([
      { direction: 'down', source_topic: 'gateway/command/{device_number}/{message_id}', target_topic: 'gateway/telemetry/control/{device_number}' },
    ]), /source_topic "gateway\/command\/\{device_number\}\/\{message_id\}" is itself a standard topic: forwarding to it would loop/);
  });

  test('two rules of the same direction and priority for the same source', TIMEOUT, async () => {
    await assert.rejects(start([
      { name: 'first', direction: 'up', source_topic: 'x/+', target_topic: 'gateway/telemetry' },
      { name: 'second', direction: 'up', source_topic: 'x/+', target_topic: 'gateway/event/+' },
    ]), /topic_mappings\[1\] \("second"\) collides with configurations\[0\]\.topic_mappings\[0\] \("first"\): same direction, priority 100 and source_topic "x\/\+"/);
    await assert.rejects(start([
      { name: 'a', direction: 'down', source_topic: 'a/{device_number}', target_topic: 'gateway/command/{device_number}/+', data_identifier: 'go' },
      { name: 'b', direction: 'down', source_topic: 'b/{device_number}', target_topic: 'gateway/command/{device_number}/+', data_identifier: 'go' },
    ]), /\("b"\) collides with .*\("a"\): same direction, priority 100 and target_topic "gateway\/command\/\{device_number\}\/\+" and data_identifier "go"/);
    await assert.rejects(start([
      { name: 'p1', direction: 'up', source_topic: 'y/+', target_topic: 'gateway/telemetry', priority: 1 },
      { name: 'p2', direction: 'up', source_topic: 'y/+', target_topic: 'gateway/telemetry', priority: 2 },
    ]), /\("p2"\) repeats .*\("p1"\): same direction, source_topic "y\/\+" and target_topic "gateway\/telemetry"/);
    // Another priority, or another data_identifier, is no collision.
    const ok = await start([
      { direction: 'up', source_topic: 'x/+', target_topic: 'gateway/telemetry' },
      { direction: 'up', source_topic: 'x/+', target_topic: 'gateway/event/+', priority: 1 },
      { direction: 'down', source_topic: 'a/{device_number}', target_topic: 'gateway/command/{device_number}/+', data_identifier: 'go' },
      { direction: 'down', source_topic: 'b/{device_number}', target_topic: 'gateway/command/{device_number}/+', data_identifier: 'stop' },
    ]);
    await ok.close();
  });
});
