// `tpgate script run FILE.lua`: runs a ThingsPanel data script's
// encodeInp(msg, topic) (docs/thingspanel.md#data-scripts) on an input, the way
// the platform runs it, and prints what it returns: a data script tested from
// a terminal or CI. Exit 0 with the output, 1 with the script's error and line,
// 2 for a bad command line.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { parseCommandLine, parseFlags, UsageError } from './args.js';

const FLAGS = {
  input: { type: 'string', short: 'i' },
  text: { type: 'string', short: 't' },
  topic: { type: 'string' },
  instructions: { type: 'string' },
  'memory-mb': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function usage(problem) {
  return [
    ...(problem ? [`tpgate script: ${problem}`, ''] : []),
    'Usage: tpgate script run FILE.lua [--input FILE|-] [--text TEXT] [--topic T]',
    '',
    'Runs the script\'s encodeInp(msg, topic) once, as the ThingsPanel platform does, and prints the',
    'string it returns. Exit 0: printed; 1: the script failed (its error and line on stderr); 2: usage.',
    '',
    'Options:',
    '  -i, --input FILE|-   the message: the bytes of FILE, or stdin with -',
    '  -t, --text TEXT      the message as text; "0x..." is hex (0x01ff), as the platform\'s test does',
    '      --topic T        the topic argument (default ""; the platform passes "")',
    '      --instructions N the instruction budget (default 100000000, the platform\'s 3 s)',
    '      --memory-mb N    the memory cap of the script\'s Lua state (default 32)',
    '  -h, --help           this help',
    '',
    'Example:',
    '  echo \'{"temp":251}\' | tpgate script run up.lua --input -',
    '',
  ].join('\n');
}

function positiveInteger(flag, value) {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${flag} must be a positive integer, got '${value}'`);
  }
  return Number(value);
}

function parse(argv) {
  const { values, positionals } = parseFlags(argv, FLAGS, { allowPositionals: true, suggest: true });
  if (values.help) return { help: true };
  const [sub, file, ...extra] = positionals;
  if (sub !== 'run') throw new UsageError(sub === undefined ? 'missing the subcommand: run' : `unknown subcommand '${sub}' (expected: run)`);
  if (file === undefined) throw new UsageError('missing the script file: tpgate script run FILE.lua');
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (values.input !== undefined && values.text !== undefined) throw new UsageError('give the message with --input or --text, not both');
  const options = {};
  if (values.instructions !== undefined) options.instructions = positiveInteger('instructions', values.instructions);
  if (values['memory-mb'] !== undefined) options.memoryBytes = positiveInteger('memory-mb', values['memory-mb']) * 1024 * 1024;
  return { file, input: values.input, text: values.text, topic: values.topic ?? '', options };
}

async function readInput(args) {
  if (args.text !== undefined) return args.text;
  if (args.input === '-') return new Uint8Array(await buffer(process.stdin));
  if (args.input !== undefined) return new Uint8Array(await readFile(args.input));
  return new Uint8Array(0);
}

export async function main(argv) {
  const args = parseCommandLine(parse, argv, usage);
  if (args === null) return 2;
  if (args.help) {
    process.stdout.write(usage());
    return 0;
  }
  let source;
  let input;
  try {
    source = await readFile(args.file, 'utf8');
    input = await readInput(args);
  } catch (err) {
    process.stderr.write(`tpgate script: cannot read ${err.path ?? 'the input'}: ${err.code === 'ENOENT' ? 'no such file' : err.message}\n`);
    return 2;
  }
  // Loaded here, not at the top: `tpgate --help` should not load the wasm module.
  const { compileScript, scriptInput } = await import('../platform-node.js');
  let bytes;
  try {
    bytes = scriptInput(input);
  } catch (err) {
    process.stderr.write(`tpgate script: --text: ${err.message}\n`);
    return 2;
  }
  let script;
  try {
    script = await compileScript(source, { ...args.options, name: path.basename(args.file) });
    const { output } = script.run(bytes, args.topic);
    process.stdout.write(output);
    if (process.stdout.isTTY && output[output.length - 1] !== 10) process.stdout.write('\n');
    return 0;
  } catch (err) {
    if (err?.code !== 'ERR_SCRIPT') throw err;
    process.stderr.write(`tpgate script: ${err.message}${err.kind ? ` (${err.kind}${err.line ? `, line ${err.line}` : ''})` : ''}\n`);
    return 1;
  } finally {
    script?.close();
  }
}
