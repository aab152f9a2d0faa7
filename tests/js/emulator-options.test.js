// createEmulator()'s arguments: every mistake is a typed error naming what
// was wrong, raised before anything connects (a plain TCP server given as the
// URL counts connection attempts); shards split a fleet without overlap.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';

import { InvalidOptionError, ScenarioError, TpgateError } from '../../npm/src/index-node.js';
import { createEmulator, parseScenario } from '../../npm/src/emulator-node.js';

let server;
let connections = 0;
let url;
before(async () => {
  server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  url = `mqtt://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

const OPTION_CASES = [
  [{ gatways: 3 }, 'gatways', /did you mean 'gateways'/],
  [{ gateways: 0 }, 'gateways', /integer from 1/],
  [{ gateways: 1.5 }, 'gateways', /integer from 1/],
  [{ shard: '0/2' }, 'shard', /index must be from 1 to 2/],
  [{ shard: '3/2' }, 'shard', /index must be from 1 to 2/],
  [{ shard: 'half' }, 'shard', /k\/n/],
  [{ shard: { index: 1, count: 0 } }, 'shard', /count must be an integer of at least 1/],
  [{ transport: 'udp' }, 'transport', /'ws' or 'tcp'/],
  [{ url: 'http://127.0.0.1:1' }, 'url', /scheme 'http:'/],
  [{ url: 'not a url' }, 'url', /not a valid URL/],
  [{ seed: -1 }, 'seed', /unsigned 32-bit/],
  [{ events: 'yes' }, 'events', /true or false/],
  [{ connectConcurrency: 0 }, 'connectConcurrency', /integer from 1/],
  [{ wsPath: 'mqtt', url: 'ws://127.0.0.1:1' }, 'wsPath', /starting with '\/'/],
];

for (const [options, option, pattern] of OPTION_CASES) {
  test(`createEmulator option ${JSON.stringify(options)}: InvalidOptionError naming '${option}'`, async () => {
    await assert.rejects(createEmulator(undefined, { url, ...options }), (err) => {
      assert.ok(err instanceof InvalidOptionError, `${err.name}: ${err.message}`);
      assert.equal(err.code, 'ERR_INVALID_OPTION');
      assert.equal(err.option, option);
      assert.match(err.message, pattern);
      return true;
    });
  });
}

test('a scenario that is not an object or JSON text: InvalidOptionError naming the scenario', async () => {
  await assert.rejects(createEmulator([1, 2], { url }), (err) => err instanceof InvalidOptionError && err.option === 'scenario');
  await assert.rejects(createEmulator(42, { url }), (err) => err instanceof InvalidOptionError && err.option === 'scenario');
});

test('a bad scenario: ScenarioError with the JSON path and the expected shape', async () => {
  await assert.rejects(createEmulator({ gateway: { telemetry: { t: { type: 'walk' } } } }, { url }), (err) => {
    assert.ok(err instanceof ScenarioError && err instanceof TpgateError, err.message);
    assert.equal(err.code, 'ERR_INVALID_SCENARIO');
    assert.equal(err.path, '$.gateway.telemetry.t.type');
    assert.match(err.expected, /random_walk/);
    assert.match(err.message, /^\$\.gateway\.telemetry\.t\.type: expected .*got "walk"/);
    return true;
  });
  await assert.rejects(parseScenario('{"broker": {"keepalive_s": 600}}'), (err) => err instanceof ScenarioError && err.path === '$.broker.keepalive_s');
});

test('none of the mistakes above made a connection', async () => {
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(connections, 0);
});

test('parseScenario() with no argument: the built-in default, normalized', async () => {
  const s = await parseScenario();
  assert.equal(typeof s.name, 'string');
  assert.ok(s.gateway.sub_gateways.gateway_001);
});

test('--shard k/n: the shards of a 10-gateway fleet are disjoint and cover it', async () => {
  const numbers = [];
  for (let k = 1; k <= 3; k++) {
    const emu = await createEmulator({}, { url, gateways: 10, shard: `${k}/3` });
    assert.ok(emu.size >= 3 && emu.size <= 4, `shard ${k}/3 has ${emu.size} gateways`);
    for (let i = 0; i < emu.size; i++) numbers.push(emu.gateway(i).device_number);
    await emu.stop(); // never started: frees the fleet
  }
  assert.equal(numbers.length, 10);
  assert.equal(new Set(numbers).size, 10, `overlapping shards: ${numbers.join(', ')}`);
});

test('start() twice is an error; stop() before start() resolves', async () => {
  const emu = await createEmulator({}, { url });
  const final = await emu.stop();
  assert.equal(final.gateways, 1);
  await assert.rejects(emu.start(), (err) => err.code === 'ERR_EMULATOR_STARTED');
});
