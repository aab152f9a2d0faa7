#!/usr/bin/env node
// The tpgate command: a dispatcher to one module per subcommand, each loaded
// only when asked for. A subcommand's main(argv) returns an exit code (the
// process exits with it) or undefined (it keeps running: a server).
import { readFileSync } from 'node:fs';

const COMMANDS = {
  emulate: { file: '../src/cli/emulate.js', what: 'bring up virtual ThingsPanel gateways (one or thousands) against a broker' },
  broker: { file: '../src/cli/broker.js', what: 'run the dev MQTT broker (TCP + WebSocket, ThingsPanel mode)' },
  demo: { file: '../src/cli/demo.js', what: 'dev broker + a virtual gateway + the dashboard, in one command' },
  report: { file: '../src/cli/report.js', what: 'merge the --metrics-json files of emulator shards into one summary (and an HTML page)' },
  script: { file: '../src/cli/script.js', what: 'run a ThingsPanel data script (Lua encodeInp) on an input, as the platform does' },
};

function version() {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}

function usage() {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: tpgate <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.what}`),
    '',
    'Options:',
    '  -h, --help     this help; `tpgate <command> --help` for a command\'s own',
    '  -v, --version  the package version',
    '',
    'Example:',
    '  tpgate emulate --url ws://127.0.0.1:8083/mqtt     # the built-in multi-level gateway',
    '',
  ].join('\n');
}

async function main(argv) {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`tpgate: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const url = new URL(command.file, import.meta.url);
  let mod;
  try {
    mod = await import(url);
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(url.pathname)) {
      process.stderr.write(`tpgate ${name}: not available in this version of tpgate (${command.file.replace('../', '')} is missing)\n`);
      return 1;
    }
    throw err;
  }
  return mod.main(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exit(code);
  },
  (err) => {
    process.stderr.write(`tpgate: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
