// Bad options and arguments are refused up front: connect() and every call
// reject with an InvalidOptionError whose `option` names what was wrong and
// whose message says so, before anything reaches the network, and a client
// that refused a call goes on working.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect, InvalidOptionError, TpgateError } from 'tpgate';
import { startMosquitto } from './helpers/mosquitto.js';

let broker;
// A plain TCP listener that counts connections: bad options given to
// connect() must be refused before a socket is opened.
let listener;
let connectionsSeen = 0;

before(async () => {
  broker = await startMosquitto();
  listener = net.createServer((socket) => {
    connectionsSeen++;
    socket.destroy();
  });
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await new Promise((resolve) => listener?.close(resolve));
  await broker?.stop();
});

const listenerUrl = () => `mqtt://127.0.0.1:${listener.address().port}`;

/** A matcher for assert.rejects: an InvalidOptionError naming `option`. */
function invalidOption(option) {
  return (err) => {
    assert.ok(err instanceof InvalidOptionError, `expected InvalidOptionError, got ${err?.name}: ${err?.message}`);
    assert.ok(err instanceof TpgateError);
    assert.equal(err.code, 'ERR_INVALID_OPTION');
    if (option instanceof RegExp) assert.match(err.option, option);
    else assert.equal(err.option, option);
    // The message names the option too, for people reading logs.
    const name = option instanceof RegExp ? err.option : option;
    assert.ok(err.message.includes(name), `message "${err.message}" does not name ${name}`);
    return true;
  };
}

describe('connect() refuses bad options before opening a socket', () => {
  const cases = [
    ['an unknown URL scheme', 'http://127.0.0.1:1883', {}, 'url'],
    ['a URL that is not a URL', 'not a url', {}, 'url'],
    ['protocolVersion 6', null, { protocolVersion: 6 }, 'protocolVersion'],
    ['protocolVersion 3 (MQTT 3.1 is not supported)', null, { protocolVersion: 3 }, 'protocolVersion'],
    ['keepalive -1', null, { keepalive: -1 }, 'keepalive'],
    ['keepalive 70000 (above 65535 s)', null, { keepalive: 70_000 }, 'keepalive'],
    ['keepalive 1.5', null, { keepalive: 1.5 }, 'keepalive'],
    ['an unknown option key (keepAlive instead of keepalive)', null, { keepAlive: 30 }, 'keepAlive'],
    ['will QoS 3', null, { will: { topic: 'w', payload: 'x', qos: 3 } }, 'will.qos'],
    ['a will topic with a wildcard', null, { will: { topic: 'w/+', payload: 'x' } }, 'will.topic'],
    ['an empty will topic', null, { will: { topic: '', payload: 'x' } }, 'will.topic'],
    ['a will payload that is a number', null, { will: { topic: 'w', payload: 42 } }, 'will.payload'],
    ['a clientId that is not a string', null, { clientId: 7 }, 'clientId'],
    ['reconnect.minDelay below 0', null, { reconnect: { minDelay: -1 } }, 'reconnect.minDelay'],
    // [MQTT-3.1.3-7]: a server would refuse it with CONNACK 0x02, late.
    ['MQTT 3.1.1, an empty clientId with clean: false', null, { protocolVersion: 4, clientId: '', clean: false }, 'clientId'],
    ['userProperties that is a string', null, { properties: { userProperties: 'k=v' } }, 'properties.userProperties'],
    ['a userProperties value that is a number', null, { properties: { userProperties: { k: 1 } } }, 'properties.userProperties'],
    ['a will userProperties value with a non-string', null,
      { will: { topic: 'w', properties: { userProperties: { k: ['a', 2] } } } }, 'will.properties.userProperties'],
  ];
  for (const [what, url, options, option] of cases) {
    test(what, async () => {
      await assert.rejects(connect(url ?? listenerUrl(), { ...options, reconnect: options.reconnect ?? false }),
        invalidOption(option));
    });
  }

  test('none of them opened a connection', () => {
    assert.equal(connectionsSeen, 0);
  });
});

describe('calls on a connected client', () => {
  let client;
  const topic = `tpgate/options/${process.pid}`;

  before(async () => {
    client = await connect(`mqtt://127.0.0.1:${broker.tcpPort}`, { protocolVersion: 5, reconnect: false });
  });
  after(async () => {
    await client?.end();
  });

  const publishCases = [
    ['a topic with a + wildcard', () => client.publish('a/+/c', 'x'), 'topic'],
    ['a topic with a # wildcard', () => client.publish('a/#', 'x'), 'topic'],
    ['an empty topic', () => client.publish('', 'x'), 'topic'],
    ['a topic with U+0000', () => client.publish('a\u0000b', 'x'), 'topic'],
    ['a topic that is not a string', () => client.publish(5, 'x'), 'topic'],
    ['QoS 3', () => client.publish(topic, 'x', { qos: 3 }), 'qos'],
    ['QoS "1" (a string)', () => client.publish(topic, 'x', { qos: '1' }), 'qos'],
    ['a payload that is a number', () => client.publish(topic, 42), 'payload'],
    ['a payload that is a plain object', () => client.publish(topic, { a: 1 }), 'payload'],
    ['an unknown publish option', () => client.publish(topic, 'x', { qos: 1, retian: true }), 'retian'],
  ];
  for (const [what, call, option] of publishCases) {
    test(`publish: ${what}`, async () => {
      await assert.rejects(call, invalidOption(option));
    });
  }

  const subscribeCases = [
    ['a # that is not last (a/#/b)', () => client.subscribe('a/#/b'), /filter/],
    ['a + inside a level (a/b+)', () => client.subscribe('a/b+'), /filter/],
    ['an empty filter', () => client.subscribe(''), /filter/],
    ['QoS 3', () => client.subscribe(topic, { qos: 3 }), /qos/],
    ['QoS 3 in a filter map', () => client.subscribe({ [topic]: { qos: 3 } }), /qos/],
  ];
  for (const [what, call, option] of subscribeCases) {
    test(`subscribe: ${what}`, async () => {
      await assert.rejects(call, invalidOption(option));
    });
  }

  test('unsubscribe: an invalid filter', async () => {
    await assert.rejects(() => client.unsubscribe('a/#/b'), invalidOption(/filter/));
  });

  test('messages(): an invalid filter', { timeout: 10_000 }, async () => {
    // An iterator that could never match anything is a mistake worth
    // reporting: at the call, or at the first next() at the latest.
    let iterator;
    try {
      iterator = client.messages('a/#/b');
    } catch (err) {
      invalidOption(/filter/)(err);
      return;
    }
    try {
      await assert.rejects(iterator.next(), invalidOption(/filter/));
    } finally {
      await iterator.return?.();
    }
  });

  test('after all of that the client still publishes and receives', async () => {
    assert.equal(client.connected, true);
    const granted = await client.subscribe(topic, { qos: 1 });
    assert.deepEqual(granted.map((g) => g.qos), [1]);
    const received = new Promise((resolve) => client.once('message', (t, payload) => resolve({ t, payload })));
    const result = await client.publish(topic, 'still here', { qos: 1 });
    assert.equal(result.qos, 1);
    const { t, payload } = await received;
    assert.equal(t, topic);
    assert.equal(new TextDecoder().decode(payload), 'still here');
  });
});
