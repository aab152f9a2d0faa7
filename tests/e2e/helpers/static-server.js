// A static file server for browser tests, on a free loopback port: URL path
// prefixes map to folders. No bundler and no dev server: the page loads the
// package's files exactly as they sit in npm/, so what passes here is what a
// plain static host serves.
//
//   const server = await startStaticServer({ '/e2e/': pagesDir, '/': npmDir });
//   await page.goto(`${server.origin}/e2e/client.html`);
//   server.requests  // [{ method, path, status, type }] in arrival order
//   await server.stop();
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
const here = path.dirname(fileURLToPath(import.meta.url));

// Browsers refuse module scripts without a JavaScript type, and
// WebAssembly.instantiateStreaming refuses anything but application/wasm.
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.png': 'image/png',
};

/**
 * @param {Record<string, string>} mounts URL prefix (ending in '/') -> folder; the longest prefix wins.
 */
export async function startStaticServer(mounts) {
  const table = Object.entries(mounts)
    .map(([prefix, dir]) => {
      if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
        throw new Error(`static server: mount prefix '${prefix}' must start and end with '/'`);
      }
      return { prefix, dir: path.resolve(dir) };
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const requests = [];

  const server = http.createServer(async (req, res) => {
    const record = { method: req.method, path: req.url, status: 0, type: '' };
    requests.push(record);
    const reply = (status, type, body) => {
      record.status = status;
      record.type = type;
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(405, 'text/plain', `${req.method} not allowed`);
      return;
    }
    const file = resolveFile(table, req.url);
    if (file === null) {
      reply(404, 'text/plain', `not found: ${req.url}`);
      return;
    }
    let info;
    try {
      info = await stat(file);
    } catch {
      info = null;
    }
    if (!info?.isFile()) {
      reply(404, 'text/plain', `not found: ${req.url}`);
      return;
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    record.status = 200;
    record.type = type;
    // no-store: every page load fetches again, so the request log shows
    // what one page really asked for.
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': info.size, 'Cache-Control': 'no-store' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });

  // Keep-alive connections would keep close() waiting; track and end them.
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address();

  return {
    origin: `http://${HOST}:${port}`,
    requests,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The package as a static host serves it: tests/e2e/pages under /e2e/ and
 * npm/ at the root (the pages' import map points into it).
 */
export function startPackageServer() {
  return startStaticServer({ '/e2e/': path.join(here, '..', 'pages'), '/': path.join(here, '..', '..', '..', 'npm') });
}

// The file a URL names, or null when it names nothing under a mount (or tries
// to climb out of one with '..' or an encoded separator).
function resolveFile(table, url) {
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  const mount = table.find((m) => pathname.startsWith(m.prefix));
  if (!mount) return null;
  const relative = pathname.slice(mount.prefix.length);
  const file = path.resolve(mount.dir, relative || 'index.html');
  if (file !== mount.dir && !file.startsWith(mount.dir + path.sep)) return null;
  return file;
}
