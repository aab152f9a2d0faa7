#!/usr/bin/env node
// Copies the built dashboard (web/dist) into the npm package (npm/dashboard),
// so that `tpgate demo` serves it from an installed package too.
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'web/dist');
const to = path.join(root, 'npm/dashboard');
if (!existsSync(path.join(from, 'index.html'))) {
  console.error(`package-dashboard: ${from} has no index.html; build it first (vite build web)`);
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log(`package-dashboard: ${path.relative(root, from)} -> ${path.relative(root, to)}`);
