// Authentication (docs/thingspanel.md#authentication) in connectGateway and
// connectPlatform: keep-alive at most 300 s, a non-empty client id (a unique
// one generated when left out), `root` and `plugin` reserved for the platform,
// and a username ("voucher") accepted without a password. Checked against a
// real mosquitto; the CONNECT packets are read through a TCP proxy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectGateway } from 'tpgate/gateway';
import { connectPlatform } from 'tpgate/platform';
import { startMosquitto } from './helpers/mosquitto.js';
import { startProxy } from './helpers/tcp-proxy.js';

const TIMEOUT = { timeout: 30_000 };

let broker;
let proxy;
const connects = [];

before(async () => {
  broker = await startMosquitto();
  proxy = await startProxy(broker.tcpPort, {
    mqtt: {
      onClientPacket: (packet) => {
        if (packet.cmd === 'connect') connects.push(packet);
      },
    },
  });
});

after(async () => {
  await proxy?.close();
  await broker?.stop();
});

function invalidOption(option, pattern) {
  return (err) => {
    assert.equal(err.code, 'ERR_INVALID_OPTION');
    assert.equal(err.option, option);
    assert.match(err.message, pattern);
    return true;
  };
}

/** Expects the connect call to be refused; a connection made anyway is closed, so a failing test leaves nothing open. */
async function refuses(connecting, check) {
  let connected;
  try {
    connected = await connecting;
  } catch (err) {
    check(err);
    return;
  }
  await connected.end(true);
  assert.fail('the options were accepted and a connection was made');
}

/** The CONNECT sent by the client whose id is clientId. */
function connectOf(clientId) {
  const packet = connects.find((p) => p.clientId === clientId);
  assert.ok(packet, `no CONNECT from ${clientId} went through the proxy`);
  return packet;
}

describe('connectGateway: authentication options', () => {
  test('keepalive above 300 s is refused before connecting', TIMEOUT, async () => {
    const before = connects.length;
    await refuses(
      connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw', keepalive: 301 }),
      invalidOption('keepalive', /at most 300 s/),
    );
    await refuses(
      connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw', keepalive: 0 }),
      invalidOption('keepalive', /at most 300 s/),
    );
    assert.equal(connects.length, before, 'no CONNECT is sent for refused options');
  });

  test('keepalive of 300 s is accepted and sent; the default is within 300 s', TIMEOUT, async () => {
    const gw = await connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw', clientId: 'auth-ka-300', keepalive: 300 });
    try {
      assert.equal(connectOf('auth-ka-300').keepalive, 300);
    } finally {
      await gw.end();
    }
    const byDefault = await connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw', clientId: 'auth-ka-default' });
    try {
      const { keepalive } = connectOf('auth-ka-default');
      assert.ok(keepalive > 0 && keepalive <= 300, `default keepalive ${keepalive}`);
    } finally {
      await byDefault.end();
    }
  });

  test('an empty clientId is refused', TIMEOUT, async () => {
    await refuses(
      connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw', clientId: '' }),
      invalidOption('clientId', /non-empty/),
    );
  });

  test('without clientId each connection gets its own, starting with the device number', TIMEOUT, async () => {
    const a = await connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw-id' });
    const b = await connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw-id' });
    try {
      assert.match(a.client.clientId, /^auth-gw-id-[0-9a-f]{8}$/);
      assert.match(b.client.clientId, /^auth-gw-id-[0-9a-f]{8}$/);
      assert.notEqual(a.client.clientId, b.client.clientId);
      // Both were sent on the wire and both sessions are alive (mosquitto
      // would have dropped the first if the ids were the same).
      assert.equal(connectOf(a.client.clientId).clientId, a.client.clientId);
      assert.equal(connectOf(b.client.clientId).clientId, b.client.clientId);
      assert.equal(a.client.connected, true);
      assert.equal(b.client.connected, true);
    } finally {
      await a.end();
      await b.end();
    }
  });

  for (const username of ['root', 'plugin']) {
    test(`username "${username}" is reserved for the platform`, TIMEOUT, async () => {
      const before = connects.length;
      await refuses(
        connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw', username, password: 'x' }),
        invalidOption('username', /reserved for the ThingsPanel platform/),
      );
      assert.equal(connects.length, before, 'no CONNECT is sent for a reserved username');
    });
  }

  for (const protocolVersion of [4, 5]) {
    test(`a voucher without a password connects, with no password in the CONNECT (MQTT ${protocolVersion})`, TIMEOUT, async () => {
      const clientId = `auth-voucher-v${protocolVersion}`;
      const gw = await connectGateway(proxy.tcpUrl, { deviceNumber: 'auth-gw', clientId, username: 'voucher-abc', protocolVersion });
      try {
        const packet = connectOf(clientId);
        assert.equal(packet.protocolVersion, protocolVersion);
        assert.equal(packet.username, 'voucher-abc');
        assert.equal(packet.password, undefined, 'password flag must be 0');
        assert.equal(gw.client.connected, true);
      } finally {
        await gw.end();
      }
    });
  }
});

describe('connectPlatform: authentication options', () => {
  test('keepalive above 300 s is refused before connecting', TIMEOUT, async () => {
    const before = connects.length;
    await refuses(connectPlatform(proxy.tcpUrl, { keepalive: 600 }), invalidOption('keepalive', /at most 300 s/));
    assert.equal(connects.length, before, 'no CONNECT is sent for refused options');
  });

  test('an empty clientId is refused', TIMEOUT, async () => {
    await refuses(connectPlatform(proxy.tcpUrl, { clientId: '' }), invalidOption('clientId', /non-empty/));
  });

  test('"root", the platform\'s username, is allowed', TIMEOUT, async () => {
    const pf = await connectPlatform(proxy.tcpUrl, { clientId: 'auth-platform-root', username: 'root', password: 'root-pass', keepalive: 300 });
    try {
      const packet = connectOf('auth-platform-root');
      assert.equal(packet.username, 'root');
      assert.equal(packet.keepalive, 300);
      assert.equal(pf.client.connected, true);
    } finally {
      await pf.end();
    }
  });
});
