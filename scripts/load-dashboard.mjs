// `npm run load:dashboard`: the dashboard's overview with 10,000 emulated
// gateways at one message a second each, for 60 s, the emulator sharded over
// two processes (the dev broker in a third, Chromium beside them). Runs
// tests/e2e/dashboard-load.test.js's overview run with these defaults; any
// TPGATE_LOAD_* variable already set wins (docs/dashboard.md#load).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const defaults = {
  TPGATE_LOAD_VIEW: 'overview',
  TPGATE_LOAD_GATEWAYS: '10000',
  TPGATE_LOAD_RATE: '10000',
  TPGATE_LOAD_SECONDS: '60',
  TPGATE_LOAD_SHARDS: '1',
};
const env = { ...defaults, ...process.env };
const shown = Object.keys(defaults).map((k) => `${k}=${env[k]}`).join(' ');
process.stdout.write(`load:dashboard: ${shown}\n`);
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', 'tests/e2e/dashboard-load.test.js'], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
