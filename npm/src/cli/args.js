// Command-line parsing shared by the tpgate subcommands (broker.js,
// emulate.js, demo.js): node:util parseArgs in strict mode, a UsageError for
// a bad command line, and the checks several commands make of a flag's value.
// Each command keeps its own wording; these only share the logic.
import { parseArgs } from 'node:util';
import { closest } from '../suggest.js';

/** A bad command line: main() reports it and exits 2. */
export class UsageError extends Error {}

/**
 * parseArgs({ args: argv, options, strict: true, allowPositionals }); its
 * errors become UsageError. With `suggest`, an unknown flag is reported as
 * "unknown flag --x; did you mean --y?" (the closest of `options`).
 */
export function parseFlags(argv, options, { allowPositionals = false, suggest = false } = {}) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    // "Unknown option '--gatways'. To specify a positional ...": name the closest flag instead.
    const unknown = suggest ? /^Unknown option '(-{1,2}[^']*)'/.exec(err.message) : null;
    if (unknown) {
      const hint = closest(unknown[1].replace(/^-+/, ''), Object.keys(options));
      throw new UsageError(`unknown flag ${unknown[1]}${hint ? `; did you mean --${hint}?` : ''}`);
    }
    throw new UsageError(err.message);
  }
}

/** Whether a flag's text is a port number: digits only, 0..65535. */
export function isPortText(text) {
  return /^\d+$/.test(text) && Number(text) <= 65535;
}

/**
 * `parse(argv)`; on a UsageError writes `usage(message)` to stderr and
 * returns null (the caller exits 2). Other errors propagate.
 * @template T
 * @param {(argv: string[]) => T} parse
 * @param {string[]} argv
 * @param {(message: string) => string} usage
 * @returns {T | null}
 */
export function parseCommandLine(parse, argv, usage) {
  try {
    return parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(usage(err.message));
    return null;
  }
}
