// Starts a real mosquitto (Debian package) for a test: TCP and WebSocket
// listeners on free loopback ports, its config in a temporary folder, and
// waits until both ports accept connections. Tests never mock the broker.
//
//   const broker = await startMosquitto();
//   ... new WebSocket(broker.wsUrl, 'mqtt') ...
//   await broker.stop();
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
const HOST = '127.0.0.1';

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * @param {{ config?: string[], timeoutMs?: number }} [options]
 *   config: extra mosquitto.conf lines (applied to both listeners).
 */
export async function startMosquitto({ config = [], timeoutMs = 10_000 } = {}) {
  // A free port can be taken by someone else between probing and binding:
  // try again with new ports when mosquitto cannot bind.
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(config, timeoutMs);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(extraConfig, timeoutMs) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-mosquitto-'));
  const tcpPort = await freePort();
  const wsPort = await freePort();
  const configFile = path.join(dir, 'mosquitto.conf');
  await writeFile(
    configFile,
    [
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      `listener ${tcpPort} ${HOST}`,
      'protocol mqtt',
      `listener ${wsPort} ${HOST}`,
      'protocol websockets',
      ...extraConfig,
      '',
    ].join('\n'),
  );

  const child = spawn(MOSQUITTO, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let running = true;
  exited.then(() => (running = false));
  child.once('error', (err) => (log += `\nspawn ${MOSQUITTO}: ${err.message}`));

  const cleanup = async () => {
    if (running) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running) {
      await cleanup();
      throw new Error(`mosquitto exited before listening:\n${log}`);
    }
    if ((await canConnect(tcpPort)) && (await canConnect(wsPort))) break;
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(`mosquitto did not listen on ${tcpPort}/${wsPort} within ${timeoutMs} ms:\n${log}`);
    }
    await sleep(25);
  }

  return {
    host: HOST,
    tcpPort,
    wsPort,
    wsUrl: `ws://${HOST}:${wsPort}`,
    log: () => log,
    stop: cleanup,
  };
}
