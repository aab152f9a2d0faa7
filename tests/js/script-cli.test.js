// `tpgate script run FILE.lua`: a data script from the terminal. Exit 0 with
// what encodeInp returned on stdout, 1 with the script's error and line, 2 for
// a bad command line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../npm/bin/tpgate.js', import.meta.url));
let dir;

function run(args, stdin) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'script', ...args], { cwd: dir });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(stdin ?? '');
  });
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tpgate-script-'));
  await writeFile(path.join(dir, 'scale.lua'), [
    'local json = require("json")',
    'function encodeInp(msg, topic)',
    '  local data = json.decode(msg)',
    '  data.temp = data.temp / 10',
    '  return json.encode(data)',
    'end',
  ].join('\n'));
  await writeFile(path.join(dir, 'broken.lua'), 'function encodeInp(msg, topic)\n  local x = 1\n  return x +\nend\n');
  await writeFile(path.join(dir, 'fails.lua'), 'function encodeInp(msg, topic)\n  local d = nil\n  return d.x\nend\n');
  await writeFile(path.join(dir, 'echo.lua'), 'function encodeInp(msg, topic) return topic .. ":" .. msg end\n');
  await writeFile(path.join(dir, 'len.lua'), 'function encodeInp(msg, topic) return tostring(#msg) end\n');
  await writeFile(path.join(dir, 'input.json'), '{"temp":251}');
});

test('prints what encodeInp returns (input from a file), exit 0', async () => {
  const r = await run(['run', 'scale.lua', '--input', 'input.json']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.stdout.toString()), { temp: 25.1 });
});

test('input from stdin with -, bytes as they are', async () => {
  const r = await run(['run', 'len.lua', '--input', '-'], Buffer.from([0, 1, 2, 255, 0]));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.toString(), '5');
});

test('--text with 0x is hex, --topic is passed', async () => {
  let r = await run(['run', 'len.lua', '--text', '0x0102ff']);
  assert.equal(r.stdout.toString(), '3');
  r = await run(['run', 'echo.lua', '--text', 'hi', '--topic', 'custom/up']);
  assert.equal(r.stdout.toString(), 'custom/up:hi');
});

test('a syntax error: exit 1, the file and line on stderr', async () => {
  const r = await run(['run', 'broken.lua']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.length, 0);
  assert.match(r.stderr, /broken\.lua:4:/);
  assert.match(r.stderr, /syntax, line 4/);
});

test('a runtime error: exit 1 with its line', async () => {
  const r = await run(['run', 'fails.lua', '--text', '{}']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /fails\.lua:3:.*nil/);
  assert.match(r.stderr, /runtime, line 3/);
});

test('usage errors exit 2 and say what is wrong', async () => {
  for (const [args, pattern] of [
    [[], /missing the subcommand: run/],
    [['go', 'x.lua'], /unknown subcommand 'go'/],
    [['run'], /missing the script file/],
    [['run', 'scale.lua', '--input', 'a', '--text', 'b'], /--input or --text, not both/],
    [['run', 'scale.lua', '--instructions', 'many'], /--instructions must be a positive integer/],
    [['run', 'scale.lua', '--inptu', 'x'], /did you mean --input/],
    [['run', 'missing.lua'], /cannot read .*missing\.lua: no such file/],
    [['run', 'len.lua', '--text', '0xabc'], /two per byte/],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});
