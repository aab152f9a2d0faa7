// Starts a real mosquitto (Debian package) for a test: TCP and WebSocket
// listeners on free loopback ports, its config in a temporary folder, and
// waits until both ports accept connections. Tests never mock the broker.
//
//   const broker = await startMosquitto();
//   ... new WebSocket(broker.wsUrl, 'mqtt') ... connect(broker.tcpUrl) ...
//   await broker.stop();
//
// Kill and restart tests keep the folder (and so the persistence file) and
// the ports between runs:
//
//   const broker = await startMosquitto({ persistence: { autosaveInterval: 1 } });
//   await broker.kill('SIGTERM');   // resolves when the process has exited
//   await broker.restart();         // same config, same ports
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

// Brokers still running when the test process ends (a test that timed out or
// threw before its cleanup) go with it instead of outliving the run.
const liveBrokers = new Set();
process.once('exit', () => {
  for (const proc of liveBrokers) proc.kill('SIGKILL');
});

const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
const MOSQUITTO_PASSWD = existsSync('/usr/bin/mosquitto_passwd') ? '/usr/bin/mosquitto_passwd' : 'mosquitto_passwd';
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
 * @param {{
 *   config?: string[],
 *   listenerConfig?: string[],
 *   timeoutMs?: number,
 *   persistence?: boolean | { autosaveInterval?: number, autosaveOnChanges?: boolean },
 *   passwords?: Record<string, string>,
 * }} [options]
 *   config: extra general mosquitto.conf lines (written last: a
 *     listener-level option here, such as max_topic_alias or max_connections,
 *     would only reach the WebSocket listener; use listenerConfig).
 *   listenerConfig: lines repeated under each of the two listeners.
 *   persistence: keep mosquitto.db in the broker's temporary folder (it
 *     survives kill()/restart(), and is removed by stop()).
 *   passwords: user -> password; anonymous clients are then refused.
 */
export async function startMosquitto({
  config = [],
  listenerConfig = [],
  timeoutMs = 10_000,
  persistence = false,
  passwords,
} = {}) {
  if (!Array.isArray(config) || !Array.isArray(listenerConfig)) {
    throw new TypeError('startMosquitto: config and listenerConfig must be arrays of mosquitto.conf lines');
  }
  // A free port can be taken by someone else between probing and binding:
  // try again with new ports when mosquitto cannot bind.
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce({ extraConfig: config, listenerConfig, timeoutMs, persistence, passwords });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function writePasswordFile(file, passwords) {
  const run = promisify(execFile);
  let first = true;
  for (const [user, password] of Object.entries(passwords)) {
    // -c creates the file; -b takes the password from the command line.
    await run(MOSQUITTO_PASSWD, [...(first ? ['-c'] : []), '-b', file, user, password]);
    first = false;
  }
}

async function startOnce({ extraConfig, listenerConfig, timeoutMs, persistence, passwords }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-mosquitto-'));
  const tcpPort = await freePort();
  const wsPort = await freePort();
  const configFile = path.join(dir, 'mosquitto.conf');

  const lines = ['per_listener_settings false', 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice'];
  // Started as root, mosquitto drops to the 'mosquitto' user, which cannot
  // read the password file or write the persistence file in our private
  // temporary folder: stay the user that owns it.
  if (process.getuid?.() === 0) lines.push('user root');
  if (passwords) {
    const passwordFile = path.join(dir, 'passwords');
    try {
      await writePasswordFile(passwordFile, passwords);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`startMosquitto: could not write the password file with ${MOSQUITTO_PASSWD}: ${err.message}`);
    }
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (persistence) {
    const { autosaveInterval = 1800, autosaveOnChanges = false } = persistence === true ? {} : persistence;
    lines.push(
      'persistence true',
      `persistence_location ${dir}${path.sep}`,
      `autosave_interval ${autosaveInterval}`,
      `autosave_on_changes ${autosaveOnChanges}`,
    );
  } else {
    lines.push('persistence false');
  }
  lines.push(
    `listener ${tcpPort} ${HOST}`,
    'protocol mqtt',
    ...listenerConfig,
    `listener ${wsPort} ${HOST}`,
    'protocol websockets',
    ...listenerConfig,
    ...extraConfig,
    '',
  );
  await writeFile(configFile, lines.join('\n'));

  let log = '';
  let child = null;
  let exited = Promise.resolve({ code: null, signal: null });
  let running = false;

  const spawnBroker = () => {
    const proc = spawn(MOSQUITTO, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    liveBrokers.add(proc);
    proc.once('exit', () => liveBrokers.delete(proc));
    proc.stdout.on('data', (c) => (log += c));
    proc.stderr.on('data', (c) => (log += c));
    proc.once('error', (err) => (log += `\nspawn ${MOSQUITTO}: ${err.message}`));
    child = proc;
    running = true;
    exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    exited.then(() => {
      if (child === proc) running = false;
    });
  };

  /** Sends `signal` and resolves with how the process ended; the folder and ports stay. */
  const kill = async (signal = 'SIGTERM') => {
    if (!running) return exited;
    child.kill(signal);
    // A broker that ignores SIGTERM must not hang the test run.
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    const result = await exited;
    clearTimeout(killer);
    return result;
  };

  const stop = async () => {
    await kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };

  // Waits for both listeners; when mosquitto exits first (a port still held
  // after a restart, or a bad config), tries again until the deadline.
  const waitListening = async (retryOnExit) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!running) {
        if (!retryOnExit || Date.now() > deadline) throw new Error(`mosquitto exited before listening:\n${log}`);
        await sleep(50);
        spawnBroker();
        continue;
      }
      if ((await canConnect(tcpPort)) && (await canConnect(wsPort))) return;
      if (Date.now() > deadline) {
        throw new Error(`mosquitto did not listen on ${tcpPort}/${wsPort} within ${timeoutMs} ms:\n${log}`);
      }
      await sleep(25);
    }
  };

  spawnBroker();
  try {
    await waitListening(false);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    host: HOST,
    tcpPort,
    wsPort,
    wsUrl: `ws://${HOST}:${wsPort}`,
    tcpUrl: `mqtt://${HOST}:${tcpPort}`,
    dir,
    configFile,
    log: () => log,
    get running() {
      return running;
    },
    pid: () => child?.pid,
    kill,
    /** Starts mosquitto again with the same config, folder and ports. */
    restart: async () => {
      if (running) await kill('SIGTERM');
      spawnBroker();
      await waitListening(true);
    },
    stop,
  };
}
