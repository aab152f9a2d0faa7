// `tpgate demo` flags: --help documents every flag; bad flags and a bad
// scenario stop with exit 2 and a message before anything listens.
// (The running demo, its URLs and Ctrl-C are tested through `npm start` in
// tests/e2e/demo.test.js.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../npm/bin/tpgate.js', import.meta.url));
const run = (...args) => spawnSync(process.execPath, [bin, 'demo', ...args], { encoding: 'utf8', timeout: 30_000 });

test('--help names every flag', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  for (const flag of ['--tcp', '--ws', '--http', '--host', '--gateways', '--scenario', '--root-password', '--status-every', '--verbose', '--help']) {
    assert.match(r.stdout, new RegExp(`${flag}\\b`), flag);
  }
});

test('bad flags exit 2 with what was wrong', () => {
  const cases = [
    [['--tcp', 'abc'], /--tcp must be a port number/],
    [['--http', '70000'], /--http must be a port number/],
    [['--gateways', '0'], /--gateways must be an integer from 1/],
    [['--status-every=-1'], /--status-every must be a number of seconds/],
    [['--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stdout, /tpgate demo is running/);
  }
});

test('a bad scenario stops before anything listens, naming the JSON path', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tpgate-demo-'));
  const file = path.join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ gateway: { telemetry: { t: { type: 'walk' } } } }));
  const r = run('--scenario', file, '--tcp', '0', '--ws', '0', '--http', '0');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\$\.gateway\.telemetry\.t\.type: expected one of/);
  assert.doesNotMatch(r.stdout, /tpgate demo is running/);
  const missing = run('--scenario', path.join(dir, 'nope.json'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read the scenario/);
});
