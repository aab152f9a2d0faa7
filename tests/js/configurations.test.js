// The configurations file (docs/configurations.md): parseConfigurations()
// normalises a good file and names the path of every problem; the old devices
// array still loads; loadConfigurationsFile() reads script files relative to the
// configurations file; npm/src/configurations.js loads without Node modules.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigurationsError, DevicesFileError, SCRIPT_TYPES, loadConfigurationsFile, parseConfigurations, startBroker } from 'tpgate/broker';

const TIMEOUT = { timeout: 30_000 };
const SOURCE = fileURLToPath(new URL('../../npm/src/configurations.js', import.meta.url));

const GOOD = {
  configurations: [{
    id: 'custom-gw',
    name: 'Custom gateway',
    template_secret: 's3cret',
    auto_register: 1,
    scripts: {
      telemetry_up: { content: 'function encodeInp(msg, topic) return msg end', enabled: true },
      command_down: { file: 'scripts/down.lua', enabled: false },
    },
    topic_mappings: [
      { direction: 'up', source_topic: 'dev/+/b', target_topic: 'gateway/telemetry', priority: 2 },
      { direction: 'up', source_topic: 'dev/+/a', target_topic: 'gateway/telemetry', priority: 1 },
    ],
  }],
  devices: [{ device_id: 'd1', device_number: 'gw-1', username: 'u1', configuration: 'custom-gw' }],
};

function rejectsAt(value, pathAt, pattern) {
  assert.throws(() => parseConfigurations(value, { source: 'tp.json' }), (err) => {
    assert.ok(err instanceof ConfigurationsError, String(err));
    assert.equal(err.code, 'ERR_INVALID_CONFIGURATIONS');
    assert.equal(err.path, pathAt, err.message);
    assert.equal(err.file, 'tp.json');
    assert.ok(err.message.startsWith('tp.json: '), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

const withConfig = (patch) => ({ configurations: [{ ...GOOD.configurations[0], ...patch }], devices: [] });

describe('parseConfigurations', () => {
  test('a good file is normalised: defaults, script letters, auto_register 1 -> true, rules by priority', () => {
    const { format, configurations, devices, warnings } = parseConfigurations(GOOD);
    assert.equal(format, 'configurations');
    assert.deepEqual(warnings, []);
    const [c] = configurations;
    assert.equal(c.device_type, '2');
    assert.equal(c.voucher_type, 'ACCESSTOKEN');
    assert.equal(c.auto_register, true);
    assert.deepEqual(c.scripts.telemetry_up, { type: 'A', content: GOOD.configurations[0].scripts.telemetry_up.content, file: null, enabled: true });
    assert.deepEqual(c.scripts.command_down, { type: 'E', content: null, file: 'scripts/down.lua', enabled: false });
    assert.deepEqual(c.topic_mappings.map((r) => r.source_topic), ['dev/+/a', 'dev/+/b']);
    assert.equal(devices[0].configuration, 'custom-gw');
    assert.deepEqual(SCRIPT_TYPES, { telemetry_up: 'A', telemetry_down: 'B', attributes_up: 'C', attributes_down: 'D', command_down: 'E', event_up: 'F' });
  });

  test('the old bare devices array still loads, and its errors keep their old form', () => {
    const r = parseConfigurations([{ device_id: 'a', device_number: 'gw-1', username: 'u' }], { source: 'devices.json' });
    assert.equal(r.format, 'devices');
    assert.deepEqual(r.configurations, []);
    assert.equal(r.devices[0].type, 'gateway');
    assert.throws(() => parseConfigurations([{ device_id: 'a', device_number: 'g/1', username: 'u' }], { source: 'devices.json' }),
      (err) => err instanceof DevicesFileError && /devices\.json: \[0\]\.device_number must not contain '\/'/.test(err.message));
  });

  test('every problem names its path', () => {
    rejectsAt(42, '', /expected \{"configurations": \[\.\.\.\], "devices": \[\.\.\.\]\}/);
    rejectsAt({ configurations: [], extra: 1 }, 'extra', /unknown field/);
    rejectsAt(withConfig({ id: '' }), 'configurations[0].id', /must be a non-empty string/);
    rejectsAt(withConfig({ device_type: 4 }), 'configurations[0].device_type', /"1" \(direct device\), "2" \(gateway, the default\) or "3"/);
    rejectsAt(withConfig({ auto_register: 'yes' }), 'configurations[0].auto_register', /true or false/);
    rejectsAt(withConfig({ template_secret: null, auto_register: true }), 'configurations[0].template_secret', /auto_register is on but there is no template_secret/);
    rejectsAt(withConfig({ scripts: { A: { content: 'x' } } }), 'configurations[0].scripts.A', /unknown script type \(the platform's letter A is written "telemetry_up" here\)/);
    rejectsAt(withConfig({ scripts: { telemetry_up: { content: 'x', file: 'y' } } }), 'configurations[0].scripts.telemetry_up', /exactly one of "content"/);
    rejectsAt(withConfig({ scripts: { event_up: { content: 1 } } }), 'configurations[0].scripts.event_up.content', /must be a string of Lua/);
    rejectsAt(withConfig({ topic_mappings: [{ direction: 'sideways', source_topic: 'a', target_topic: 'gateway/telemetry' }] }),
      'configurations[0].topic_mappings[0].direction', /"up" \(device -> platform\) or "down"/);
    rejectsAt(withConfig({ topic_mappings: [{ direction: 'up', source_topic: 'a/#', target_topic: 'gateway/telemetry' }] }),
      'configurations[0].topic_mappings[0].source_topic', /must not contain '#'/);
    rejectsAt(withConfig({ topic_mappings: [{ direction: 'up', source_topic: 'a/+', target_topic: 'devices/telemetry' }] }),
      'configurations[0].topic_mappings[0].target_topic', /not a standard gateway uplink topic/);
    rejectsAt(withConfig({ topic_mappings: [{ direction: 'down', source_topic: 'fixed/down', target_topic: 'gateway/command/{device_number}/+' }] }),
      'configurations[0].topic_mappings[0].source_topic', /must contain \{device_number\}/);
    rejectsAt(withConfig({ topic_mappings: [{ direction: 'down', source_topic: '{device_number}/+', target_topic: 'gateway/command/{device_number}/+' }] }),
      'configurations[0].topic_mappings[0].source_topic', /leaves no concrete topic/);
    rejectsAt({ ...GOOD, devices: [{ device_id: 'd', device_number: 'n', username: 'u', configuration: 'nope' }] },
      'devices[0].configuration', /"nope" is not the id of any configuration \("custom-gw"\)/);
    rejectsAt({ devices: [{ device_id: 'd', device_number: 'n', username: 'u', sub_device_addr: '1', parent_device_number: 'ghost' }] },
      'devices[0].parent_device_number', /"ghost" is not the device_number of any device/);
    rejectsAt({ configurations: [{ id: 'a', template_secret: 's' }, { id: 'b', template_secret: 's' }] },
      'configurations[1].template_secret', /the same as configurations\[0\]'s/);
  });

  test('data_identifier on an up rule is ignored with a warning, as the platform ignores it', () => {
    const { warnings } = parseConfigurations(withConfig({ topic_mappings: [{ direction: 'up', source_topic: 'x/+', target_topic: 'gateway/telemetry', data_identifier: 'm' }] }));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /topic_mappings\[0\]\.data_identifier is ignored/);
  });
});

describe('loadConfigurationsFile', () => {
  let dir;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-configs-'));
    await mkdir(path.join(dir, 'scripts'));
    await writeFile(path.join(dir, 'scripts', 'down.lua'), '-- down\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('script files are read relative to the configurations file', TIMEOUT, async () => {
    const file = path.join(dir, 'tp.json');
    await writeFile(file, JSON.stringify(GOOD));
    const r = await loadConfigurationsFile(file);
    assert.equal(r.configurations[0].scripts.command_down.content, '-- down\n');
  });

  test('a missing script file, bad JSON and a bad file stop the broker with the path at fault', TIMEOUT, async () => {
    const file = path.join(dir, 'missing-script.json');
    const cfg = structuredClone(GOOD);
    cfg.configurations[0].scripts.command_down.file = 'scripts/nope.lua';
    await writeFile(file, JSON.stringify(cfg));
    await assert.rejects(loadConfigurationsFile(file), (err) => {
      assert.equal(err.path, 'configurations[0].scripts.command_down.file');
      assert.match(err.message, /cannot read "scripts\/nope\.lua" \(ENOENT; resolved to .*scripts\/nope\.lua, relative to the configurations file\)/);
      return true;
    });
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"configurations": [');
    await assert.rejects(startBroker({ tcpPort: 0, wsPort: null, thingspanel: broken, log: false }), /broken\.json: not valid JSON/);
    const loop = path.join(dir, 'loop.json');
    await writeFile(loop, JSON.stringify(withConfig({ topic_mappings: [{ direction: 'up', source_topic: 'gateway/+', target_topic: 'gateway/telemetry' }] })));
    await assert.rejects(startBroker({ tcpPort: 0, wsPort: null, thingspanel: loop, log: false }), /loops: its target_topic "gateway\/telemetry" matches the source_topic "gateway\/\+" of the same rule/);
    assert.equal(JSON.parse(await readFile(loop, 'utf8')).devices.length, 0, 'a refused file is left as it was');
  });
});

test('npm/src/configurations.js imports no Node modules (it also loads in a browser)', async () => {
  const text = await readFile(SOURCE, 'utf8');
  const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
  assert.deepEqual(imports, ['./errors.js']);
  const errors = await readFile(new URL('../../npm/src/errors.js', import.meta.url), 'utf8');
  assert.doesNotMatch(errors, /from 'node:/);
});
