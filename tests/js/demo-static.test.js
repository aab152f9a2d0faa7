// The demo's dashboard server (npm/src/cli/static-server.js): files under its
// folder only, whatever the path says; the page's own Content-Security-Policy
// (from its meta tag) as a header, plus no framing; GET/HEAD only.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { policyOf, resolveInside, serveStatic } from '../../npm/src/cli/static-server.js';

let dir;
let server;
const PAGE = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'"></head><body>hi</body></html>`;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-static-'));
  await mkdir(path.join(dir, 'site', 'assets'), { recursive: true });
  await writeFile(path.join(dir, 'site', 'index.html'), PAGE);
  await writeFile(path.join(dir, 'site', 'assets', 'app.js'), 'export {};');
  await writeFile(path.join(dir, 'secret.txt'), 'not to be served');
  server = await serveStatic(path.join(dir, 'site'));
});
after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A raw request, so that the path goes out exactly as written (fetch would normalise "..") . */
function rawGet(requestPath) {
  return new Promise((resolve, reject) => {
    const s = net.connect(server.port, '127.0.0.1', () => s.write(`GET ${requestPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

test('index.html for "/", files by path, with the right types and the page policy as a header', async () => {
  const res = await fetch(server.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/html/);
  assert.equal(res.headers.get('content-security-policy'), "default-src 'self'; script-src 'self'; frame-ancestors 'none'");
  assert.equal(await res.text(), PAGE);
  const js = await fetch(new URL('assets/app.js', server.url));
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /text\/javascript/);
  assert.equal((await fetch(new URL('nope.js', server.url))).status, 404);
});

test('paths that climb out of the folder are refused', async () => {
  for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%00']) {
    const reply = await rawGet(p);
    assert.doesNotMatch(reply, /not to be served/, p);
    assert.match(reply, /^HTTP\/1\.1 (400|404)/, p);
  }
  assert.equal(resolveInside('/srv/site', '/../etc/passwd'), '/srv/site/etc/passwd');
  assert.equal(resolveInside('/srv/site', '/%E0%A4%A'), null, 'a malformed escape');
});

test('only GET and HEAD', async () => {
  assert.equal((await fetch(server.url, { method: 'POST', body: 'x' })).status, 405);
  const head = await fetch(server.url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

test('policyOf reads the meta tag, or gives null without one', () => {
  assert.equal(policyOf(PAGE), "default-src 'self'; script-src 'self'; frame-ancestors 'none'");
  assert.equal(policyOf('<html></html>'), null);
});
