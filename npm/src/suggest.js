// "Did you mean" hints: the known name nearest to a misspelt one, for option
// names (options.js) and command-line flags (cli/args.js).

/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
function distance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate nearest to `name`, ignoring case, or undefined when none is
 * near enough to be a likely misspelling: at most 2 edits, or a third of
 * `name`'s length for longer names. The first of equally near candidates wins.
 * @param {string} name
 * @param {Iterable<string>} candidates
 * @returns {string | undefined}
 */
export function closest(name, candidates) {
  const lower = name.toLowerCase();
  let best;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const score = distance(lower, candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
