#!/usr/bin/env node
// Every reference in the repository resolves inside it:
//   (a) nothing points at a document outside the repository or at an issue
//       number (the patterns below), nor at a ThingsPanel difference by number;
//   (b) every `docs/thingspanel.md#<anchor>` (or a relative `thingspanel.md#<anchor>`
//       link, or a `(#<anchor>)` link inside docs/thingspanel.md) names an anchor
//       that page has: an `<a id>` or a heading's GitHub slug;
//   (c) every test docs/conformance.md cites exists.
// Prints each problem as file:line and exits 1 if there is any. Reads only
// sources: no build, no network; well under a second.
//
//   node scripts/check-doc-refs.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = 'docs/thingspanel.md';

// Where (a) looks: what
//   grep -rnE 'THINGSPANEL\.md|DESIGN\.md|TOOLCHAIN\.md|[Ii]ssue [0-9]|acceptance [0-9]' src bindings npm web tests docs bench scripts README.md
// reads, plus the build and CI files.
const SCANNED = ['src', 'bindings', 'npm', 'web', 'tests', 'docs', 'bench', 'scripts', 'README.md', 'CMakeLists.txt', 'CMakePresets.json', 'package.json', '.ci'];
const OUTSIDE = [
  { re: /THINGSPANEL\.md|DESIGN\.md|TOOLCHAIN\.md|[Ii]ssue [0-9]|acceptance [0-9]/, why: 'points outside the repository (name the docs/thingspanel.md anchor instead)' },
  { re: /[Dd]ifference [0-9]+/, why: 'a numbered difference (name its docs/thingspanel.md anchor instead)' },
];
// Generated or installed, not sources.
const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'dist', 'dashboard', '.build-lock', 'corpus-run']);
const TEXT = /\.(c|cc|cpp|h|hpp|js|mjs|cjs|ts|tsx|json|md|html|css|sh|py|txt|cmake|yml|yaml)$|^(CMakeLists\.txt|README\.md|run)$/;

function walk(rel, out) {
  const abs = path.join(root, rel);
  let st;
  try {
    st = statSync(abs);
  } catch {
    return out; // a listed folder that does not exist (yet)
  }
  if (st.isFile()) {
    if (TEXT.test(path.basename(rel))) out.push(rel);
    return out;
  }
  for (const name of readdirSync(abs).sort()) {
    if (SKIPPED_DIRS.has(name) || /^build(-|$)/.test(name)) continue;
    walk(rel === '' ? name : `${rel}/${name}`, out);
  }
  return out;
}

// GitHub's heading ids: lower case, punctuation dropped, spaces to '-', repeats numbered.
function headingSlugs(text) {
  const slugs = new Set();
  const seen = new Map();
  let fence = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const m = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return slugs;
}

function anchorsOf(text) {
  const anchors = headingSlugs(text);
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

const problems = [];
const report = (file, index, text, why) => {
  const line = text.slice(0, index).split('\n').length;
  const snippet = text.split('\n')[line - 1].trim().slice(0, 120);
  problems.push(`${file}:${line}: ${why}\n    ${snippet}`);
};

// (a)
for (const file of SCANNED.flatMap((p) => walk(p, []))) {
  const text = readFileSync(path.join(root, file), 'utf8');
  for (const { re, why } of OUTSIDE) {
    for (const m of text.matchAll(new RegExp(re.source, 'g'))) report(file, m.index, text, `"${m[0]}" ${why}`);
  }
}

// (b)
let docText = '';
try {
  docText = readFileSync(path.join(root, DOC), 'utf8');
} catch {
  problems.push(`${DOC}: missing (code and docs point at its anchors)`);
}
const anchors = anchorsOf(docText);
let references = 0;
for (const file of walk('', [])) {
  const text = readFileSync(path.join(root, file), 'utf8');
  const refs = [...text.matchAll(/thingspanel\.md#([A-Za-z0-9_-]+)/g)];
  // Links inside the page itself: [text](#anchor).
  if (file === DOC) refs.push(...text.matchAll(/\]\(#([A-Za-z0-9_-]+)\)/g));
  for (const m of refs) {
    references += 1;
    if (!anchors.has(m[1])) report(file, m.index, text, `no anchor #${m[1]} in ${DOC}`);
  }
}

// (c) docs/conformance.md cites tests by file and name: every file exists and
// every GoogleTest name `Suite.Name` (`Instance/Suite.Name/param` for
// parameterised ones) is a TEST/TEST_F/TEST_P of tests/cpp, so the table
// cannot point at a test that was renamed or removed.
const CONFORMANCE = 'docs/conformance.md';
let cited = 0;
try {
  const text = readFileSync(path.join(root, CONFORMANCE), 'utf8');
  const cppTests = new Set();
  for (const file of walk('tests/cpp', [])) {
    const src = readFileSync(path.join(root, file), 'utf8');
    for (const m of src.matchAll(/\bTEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\)/g)) cppTests.add(`${m[1]}.${m[2]}`);
  }
  for (const m of text.matchAll(/`(tests\/[\w./-]+\.(?:cpp|js|mjs))`/g)) {
    cited += 1;
    try {
      statSync(path.join(root, m[1]));
    } catch {
      report(CONFORMANCE, m.index, text, `cites ${m[1]}, which does not exist`);
    }
  }
  for (const m of text.matchAll(/`(?:\w+\/)?([A-Z]\w*)\.(\w+)(?:\/[\w-]+)?`/g)) {
    cited += 1;
    if (!cppTests.has(`${m[1]}.${m[2]}`)) report(CONFORMANCE, m.index, text, `cites ${m[0]}, which is not a test in tests/cpp`);
  }
} catch (err) {
  problems.push(`${CONFORMANCE}: cannot be read (${err.message})`);
}

if (problems.length > 0) {
  console.error(`check-doc-refs: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.join('\n')}`);
  process.exitCode = 1;
} else {
  console.log(`check-doc-refs: ok (${references} references to ${anchors.size} anchors of ${DOC}; ${cited} tests cited by ${CONFORMANCE} exist; nothing points outside the repository)`);
}
