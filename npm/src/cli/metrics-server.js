// `--metrics-port PORT` of `tpgate emulate` and `tpgate broker`: a Prometheus
// registry (prom-client) and the HTTP server that serves it at /metrics.
// prom-client is loaded only when a command asks for metrics.
import { createServer } from 'node:http';

import { UsageError, isPortText } from './args.js';

/** --metrics-port's text -> a port (0 = any free port); throws UsageError. */
export function metricsPort(text) {
  if (text === undefined) return undefined;
  if (!isPortText(text)) throw new UsageError(`--metrics-port must be a port number from 0 to 65535 (got '${text}')`);
  return Number(text);
}

/**
 * A registry with the process metrics (CPU, memory, event loop lag: prom-client's
 * defaults, under their usual names, but process_open_fds) and `labels` on every series.
 * @param {Record<string, string>} labels
 * @returns {Promise<{client: typeof import('prom-client'), registry: import('prom-client').Registry}>}
 */
export async function createRegistry(labels = {}) {
  const { default: client } = await import('prom-client');
  const registry = new client.Registry();
  registry.setDefaultLabels(labels);
  client.collectDefaultMetrics({ register: registry });
  // It lists /proc/self/fd at each scrape: 9 ms of a blocked event loop with
  // 10,000 sockets open (bench/metrics.mjs). tpgate_gateways counts them.
  registry.removeSingleMetric('process_open_fds');
  return { client, registry };
}

/** Thrown when the metrics port cannot be listened on; the commands exit 2. */
export class MetricsPortError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/**
 * Serves `registry` at http://host:port/metrics. Resolves once listening, with
 * {port, url, close()}; rejects with a MetricsPortError (port in use, no
 * permission) before anything else starts.
 */
export function serveMetrics(registry, { port, host }) {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET /metrics\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Prometheus metrics are at /metrics\n');
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`);
    }
  });
  server.keepAliveTimeout = 65_000; // longer than a scrape interval: one connection per scraper
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      const where = `${host ?? '*'}:${port}`;
      if (err.code === 'EADDRINUSE') {
        reject(new MetricsPortError(`--metrics-port ${port}: the port is in use (${where}); stop what listens there or pick another port (0 = any free port)`, err.code));
      } else if (err.code === 'EACCES') {
        reject(new MetricsPortError(`--metrics-port ${port}: no permission to listen on ${where}; ports below 1024 need privileges, pick one above`, err.code));
      } else {
        reject(new MetricsPortError(`--metrics-port ${port}: cannot listen on ${where}: ${err.message}`, err.code));
      }
    });
    server.listen(port, host, () => {
      const actual = server.address().port;
      const shown = host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({
        port: actual,
        url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${actual}/metrics`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
