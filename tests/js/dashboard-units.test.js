// The dashboard's pure parts (web/src), bundled by esbuild into a module this
// test imports: natural sort keys, device map files (good and bad), ring
// buffers and the shared point budget. The views around them are tested in
// Chromium (tests/e2e/dashboard-overview.test.js).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/src');
let dir;
let m;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-dashboard-units-'));
  const entry = path.join(dir, 'entry.ts');
  await writeFile(entry, [
    `export { naturalKey, gatewayStatus, STALE_MS } from ${JSON.stringify(path.join(web, 'protocol.ts'))};`,
    `export { parseDeviceMap, deviceMapText } from ${JSON.stringify(path.join(web, 'ui/devicemap.ts'))};`,
    `export { Ring, PointRing, PointBudget } from ${JSON.stringify(path.join(web, 'ring.ts'))};`,
  ].join('\n'));
  const out = path.join(dir, 'units.mjs');
  await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'silent' });
  m = await import(pathToFileURL(out).href);
});

after(() => rm(dir, { recursive: true, force: true }));

test('natural keys sort gw-2 before gw-10, ignore case and leading zeros', () => {
  const names = ['gw-10', 'GW-2', 'gw-1', 'gw-100', 'gw-02a', 'sensor_101', 'sensor_11', 'gw-9'];
  const sorted = names.slice().sort((a, b) => (m.naturalKey(a) < m.naturalKey(b) ? -1 : m.naturalKey(a) > m.naturalKey(b) ? 1 : 0));
  assert.deepEqual(sorted, ['gw-1', 'GW-2', 'gw-02a', 'gw-9', 'gw-10', 'gw-100', 'sensor_11', 'sensor_101']);
});

test('gateway status: the broker\'s word first, else how lately it was heard from', () => {
  assert.equal(m.gatewayStatus(false, Date.now(), Date.now()), 'offline');
  assert.equal(m.gatewayStatus(true, 0, Date.now()), 'online');
  assert.equal(m.gatewayStatus(null, 0, Date.now()), 'unknown');
  assert.equal(m.gatewayStatus(null, 1000, 1000 + m.STALE_MS - 1), 'online');
  assert.equal(m.gatewayStatus(null, 1000, 1000 + m.STALE_MS), 'stale');
});

test('device maps: CSV with or without a header, any separator; JSON in each shape', () => {
  assert.deepEqual(m.parseDeviceMap('a,gw-1\nb,gw-2\n', 'x.csv'), { a: 'gw-1', b: 'gw-2' });
  assert.deepEqual(m.parseDeviceMap('\uFEFFdevice_number;device_id\r\ngw-1;a\r\n# comment\r\n\r\ngw-2;b', 'x.csv'), { a: 'gw-1', b: 'gw-2' });
  assert.deepEqual(m.parseDeviceMap('device_id\tdevice_number\n"a"\t"gw-1"', 'x.txt'), { a: 'gw-1' });
  assert.deepEqual(m.parseDeviceMap('{"a": "gw-1"}', 'x.json'), { a: 'gw-1' });
  assert.deepEqual(m.parseDeviceMap('[{"device_id": "a", "device_number": "gw-1"}]'), { a: 'gw-1' });
  assert.deepEqual(m.parseDeviceMap('{"code": 200, "data": {"devices": [{"device_id": "a", "device_number": "gw-1", "type": "gateway"}]}}'), { a: 'gw-1' });
  assert.equal(m.deviceMapText({ a: 'gw-1', b: 'gw-2' }), 'a=gw-1\nb=gw-2');
});

test('device maps: bad files are refused with the line or entry at fault', () => {
  assert.deepEqual(m.parseDeviceMap('', 'e.csv'), { error: 'e.csv is empty' });
  assert.deepEqual(m.parseDeviceMap('a,gw-1\nlonely\n', 'm.csv'), { error: "m.csv line 2: expected device_id,device_number, got 'lonely'" });
  assert.deepEqual(m.parseDeviceMap('device_id,name\na,b', 'h.csv'), { error: 'h.csv line 1: the header must name both device_id and device_number' });
  assert.match(m.parseDeviceMap('{"a": ', 'j.json').error, /^j\.json is not valid JSON: /);
  assert.deepEqual(m.parseDeviceMap('{"a": 5}', 'j.json'), { error: 'j.json: the value of "a" must be a device_number (a non-empty string)' });
  assert.deepEqual(m.parseDeviceMap('[{"device_id": "a"}]', 'j.json'), { error: 'j.json: entry 1 is not {"device_id": "...", "device_number": "..."}' });
  assert.deepEqual(m.parseDeviceMap('42', 'j.json'), { error: 'j.json: expected a JSON object or array, got 42' });
});

test('Ring keeps the newest items in order, at() by age, and grows only as items come', () => {
  const r = new m.Ring(3);
  assert.equal(r.length, 0);
  assert.deepEqual(r.toArray(), []);
  for (let i = 1; i <= 5; i++) r.push(i);
  assert.deepEqual(r.toArray(), [3, 4, 5]);
  assert.deepEqual(r.newest(2), [5, 4]);
  assert.deepEqual([r.at(0), r.at(2), r.at(3), r.at(-1)], [3, 5, undefined, undefined]);
  r.clear();
  r.push(9);
  assert.deepEqual(r.toArray(), [9]);
});

test('PointRing grows once, to its share of the budget, then keeps the newest points', () => {
  const budget = new m.PointBudget(100);
  const a = new m.PointRing(600, budget);
  for (let i = 0; i < 1000; i++) a.push(i, i * 2);
  // Alone, a series may take the whole budget (100 points): from 16 to 100 when the first 16 are full.
  let snap = a.snapshot();
  assert.equal(snap.t.length, 100);
  assert.deepEqual([snap.t[0], snap.t[99], snap.v[99]], [900, 999, 1998]);
  // Four more series: the share drops to 20; they stay at 16 points each.
  const more = Array.from({ length: 4 }, () => new m.PointRing(600, budget));
  for (const r of more) for (let i = 0; i < 50; i++) r.push(i, i);
  for (const r of more) assert.equal(r.snapshot().t.length, 16);
  assert.ok(budget.allocated <= 100 + 16 * 4, `allocated ${budget.allocated}`);
  // Without a budget: up to the capacity, points out of order come back sorted.
  const free = new m.PointRing(600);
  for (const t of [3, 1, 2]) free.push(t, t);
  snap = free.snapshot();
  assert.deepEqual([...snap.t], [1, 2, 3]);
});
