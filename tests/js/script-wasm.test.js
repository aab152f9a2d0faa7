// Data scripts through the wasm module (compileScript() from 'tpgate/platform'):
// the sandbox table of tests/cases/script-sandbox.json, the same cases the
// native and ASan tpgate_tests run, plus what only the JS API has.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compileScript, DataScript, InvalidOptionError, ScriptError, scriptInput, SCRIPT_TYPES } from 'tpgate/platform';

const table = JSON.parse(readFileSync(new URL('../cases/script-sandbox.json', import.meta.url), 'utf8'));
const LIMITS = { instructions: 10_000_000, memoryBytes: 16 * 1024 * 1024 };
const hex = (bytes) => Buffer.from(bytes).toString('hex');

function inputOf(c) {
  return c.input_hex !== undefined ? new Uint8Array(Buffer.from(c.input_hex, 'hex')) : (c.input ?? '');
}

function check(name, run, expect) {
  if (expect.kind !== undefined) {
    assert.throws(run, (err) => {
      assert.ok(err instanceof ScriptError, `${name}: ${err}`);
      assert.equal(err.code, 'ERR_SCRIPT');
      assert.equal(err.kind, expect.kind, `${name}: ${err.message}`);
      if (expect.line !== undefined) assert.equal(err.line, expect.line, `${name}: ${err.message}`);
      if (expect.contains !== undefined) assert.ok(err.message.includes(expect.contains), `${name}: ${err.message}`);
      return true;
    }, name);
    return;
  }
  const { output, text } = run();
  if (expect.output_hex !== undefined) assert.equal(hex(output), expect.output_hex, name);
  else assert.equal(text, expect.output, name);
}

for (const c of table.cases) {
  test(`sandbox (wasm): ${c.name}`, async () => {
    const source = c.source.join('\n') + '\n';
    let script;
    try {
      script = await compileScript(source, { ...LIMITS, name: 'case' });
    } catch (err) {
      check(c.name, () => { throw err; }, c.expect);
      return;
    }
    try {
      for (let i = 0; i < (c.runs ?? 1); i++) check(c.name, () => script.run(inputOf(c), c.topic ?? ''), c.expect);
      if (c.then) check(`${c.name} (then)`, () => script.run(inputOf(c.then), c.then.topic ?? ''), c.then.expect);
    } finally {
      script.close();
    }
  });
}

test('a compiled script runs many times with flat memory', async () => {
  const script = await compileScript('local json = require("json")\nfunction encodeInp(msg) local d = json.decode(msg) d.n = d.n + 1 return json.encode(d) end');
  assert.ok(script instanceof DataScript);
  for (let i = 0; i < 200; i++) script.run(`{"n":${i}}`);
  const settled = script.memoryInUse();
  for (let i = 0; i < 2000; i++) assert.equal(script.run(`{"n":${i}}`).text, `{"n":${i + 1}}`);
  assert.ok(script.memoryInUse() < settled * 2 + 65536, `memory grew from ${settled} to ${script.memoryInUse()}`);
  script.close();
  assert.throws(() => script.run('x'), InvalidOptionError);
});

test('scriptInput reads 0x as hex, as the platform test endpoint does', () => {
  assert.equal(hex(scriptInput('0x01FF0a')), '01ff0a');
  assert.equal(hex(scriptInput('0X 01 02')), '0102');
  assert.equal(Buffer.from(scriptInput('{"a":1}')).toString(), '{"a":1}');
  assert.throws(() => scriptInput('0x123'), /two per byte/);
  assert.throws(() => scriptInput('0xzz'), InvalidOptionError);
  assert.throws(() => scriptInput(42), InvalidOptionError);
});

test('bad options are clear errors', async () => {
  await assert.rejects(compileScript(42), InvalidOptionError);
  await assert.rejects(compileScript('x', { instructions: -1 }), /instructions must be a positive integer/);
  await assert.rejects(compileScript('x', { name: '' }), /name must be a non-empty string/);
  assert.deepEqual([...SCRIPT_TYPES], ['telemetry_up', 'telemetry_down', 'attributes_up', 'attributes_down', 'command_down', 'event_up']);
});

test('a syntax error names the script and the line', async () => {
  await assert.rejects(compileScript('function encodeInp(m)\n  return 1 +\nend', { name: 'up.lua' }), (err) => {
    assert.ok(err instanceof ScriptError);
    assert.equal(err.kind, 'syntax');
    assert.equal(err.line, 3);
    assert.match(err.message, /^up\.lua:3:/);
    return true;
  });
});

test('the Lua engine is in the platform and emulator modules only', () => {
  // Text only the engine carries: Lua's own messages and the entry point's name.
  const markers = ['encodeInp', 'stack overflow'];
  const has = (file) => {
    const bytes = readFileSync(new URL(`../../npm/dist/${file}`, import.meta.url)).toString('latin1');
    return markers.map((m) => bytes.includes(m));
  };
  for (const file of ['tpgate.wasm', 'tpgate-gateway.wasm', 'tpgate-codec.wasm']) assert.deepEqual(has(file), [false, false], file);
  for (const file of ['tpgate-platform.wasm', 'tpgate-emulator.wasm']) assert.deepEqual(has(file), [true, true], file);
});
