// A small static file server for the built dashboard (`tpgate demo`): GET and
// HEAD only, files under one folder only, index.html for "/", and the same
// Content-Security-Policy the page carries in its meta tag, as a header.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The Content-Security-Policy header for a built page: the policy its own meta
 * tag carries (web/vite.config.ts writes it; one source of truth), plus what
 * only a header can say: no framing. Null when the page has no policy.
 */
export function policyOf(indexHtml) {
  const tag = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(indexHtml);
  return tag ? `${tag[1].replace(/&#39;|&apos;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&')}; frame-ancestors 'none'` : null;
}

/** The file a URL path names inside `root`, or null when it would leave it. */
export function resolveInside(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

/**
 * Serves `root` on host:port (0 = a free port), and `files` ({'/path': {type, body}}:
 * generated files, such as the demo's devices.json) before it.
 * @returns {Promise<{port: number, url: string, close(): Promise<void>}>}
 */
export async function serveStatic(root, { host = '127.0.0.1', port = 0, files = {} } = {}) {
  const base = path.resolve(root);
  const policy = policyOf(await readFile(path.join(base, 'index.html'), 'utf8').catch(() => ''));
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const generated = Object.hasOwn(files, (req.url ?? '/').split('?')[0]) ? files[(req.url ?? '/').split('?')[0]] : null;
    if (generated) {
      const body = Buffer.from(generated.body);
      res.writeHead(200, { 'content-type': generated.type, 'content-length': body.length, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    let file = resolveInside(base, req.url ?? '/');
    if (file === null) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad path\n');
      return;
    }
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = path.join(file, 'index.html');
        info = await stat(file);
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        ...(policy ? { 'content-security-policy': policy } : {}),
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = server.address().port;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    port: actual,
    url: `http://${shown}:${actual}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
