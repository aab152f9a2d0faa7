// The load source of the dashboard's load test. Forked twice (with IPC), so
// that the broker, the fleet and the test that drives the browser each have
// an event loop of their own: one process runs the dev broker in ThingsPanel
// mode (voucher auth, envelope, devices/status, the root user), the other,
// on 'fleet', `gateways` gateways running the emulator's default scenario
// (the seed multi-level gateway) with the telemetry interval that makes
// `rate` messages/s in total. Without the emulator module
// (npm/dist/tpgate-emulator.wasm), or with source 'gateways', the fleet is
// gateways driven by connectGateway instead.
//
// parent -> child                         child -> parent
// {type:'start', gateways, rootPassword}  {type:'ready', wsUrl, tcpUrl, devices}      (the broker)
// {type:'fleet', tcpUrl, devices, rate, source?}  {type:'fleet', source, published}    (the fleet)
// {type:'mark'}                           {type:'mark', published, at}
// {type:'stop-fleet'}                     {type:'stop-fleet', published, at}
// {type:'exit'}                           (exits)
// any failure                             {type:'error', message}
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectGateway } from 'tpgate/gateway';
import { createEmulator, parseScenario } from 'tpgate/emulator';
import { generateDevices, startBroker } from 'tpgate/broker';

export const EMULATOR_BUILT = existsSync(fileURLToPath(new URL('../../../npm/dist/tpgate-emulator.wasm', import.meta.url)));

let broker = null;
let devices = [];
let fleet = null; // {source, published(), stop()}

async function start({ gateways, rootPassword }) {
  devices = generateDevices({ count: gateways });
  broker = await startBroker({ tcpPort: 0, wsPort: 0, thingspanel: devices, rootPassword, log: false });
  // The broker's own WebSocket listener, as users get it.
  return { type: 'ready', wsUrl: broker.wsUrl, tcpUrl: broker.tcpUrl, devices };
}

// Every device of the scenario reports every `seconds`.
function setInterval_(spec, seconds) {
  spec.telemetry_interval_s = seconds;
  for (const sub of Object.values(spec.sub_devices ?? {})) sub.telemetry_interval_s = seconds;
  for (const sub of Object.values(spec.sub_gateways ?? {})) setInterval_(sub, seconds);
}

async function emulatorFleet(rate) {
  const scenario = await parseScenario();
  scenario.gateways.count = devices.length;
  // High-rate telemetry at QoS 0, as fleets send it: no PUBACK per message
  // between the gateways and the broker (the dashboard takes telemetry at QoS 0
  // too). TPGATE_LOAD_QOS=1 for the default scenario's QoS 1.
  const qos = Number(process.env.TPGATE_LOAD_QOS ?? 0);
  scenario.broker.qos = qos;
  // One telemetry message per gateway per interval carries all its devices.
  setInterval_(scenario.gateway, devices.length / rate);
  const emulator = await createEmulator(scenario, { url: broker.tcpUrl });
  let errors = 0;
  emulator.on('error', () => errors++);
  await emulator.start();
  await emulator.waitConnected(devices.length, { timeout: 90_000 });
  return {
    source: `the emulator (default scenario, ${devices.length} gateways, telemetry every ${(devices.length / rate * 1000).toFixed(0)} ms, QoS ${qos})`,
    published: () => emulator.stats().published,
    stop: async () => (await emulator.stop()).published,
    errors: () => errors,
  };
}

const round = (x) => Math.round(x * 10) / 10;
async function gatewayFleet(rate) {
  const gateways = [];
  for (let i = 0; i < devices.length; i += 25) {
    gateways.push(...(await Promise.all(devices.slice(i, i + 25).map((d) =>
      connectGateway(broker.tcpUrl, { deviceNumber: d.device_number, username: d.username, clientId: `${d.device_number}-load`, protocolVersion: 4, gatewayQos: 0 })))));
  }
  let published = 0;
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const report = (i) => {
    const w = Math.sin((published + i) / 20);
    return {
      gateway: { temperature: round(26 + w), version: '2.0.0', switch: published % 2 === 0 },
      subDevices: { sensor_001: { temperature: round(24 + w), humidity: round(65 + 3 * w), switch: true }, sensor_002: { temperature: round(26.5 - w), humidity: round(60 - 3 * w), switch: false } },
      subGateways: { gateway_001: { gateway: { temperature: round(28 + w), version: '1.5.0', switch: true }, subDevices: { sensor_101: { temperature: round(27.5 + w), humidity: round(55 + 2 * w) } } } },
    };
  };
  const timer = setInterval(() => {
    const due = Math.floor((rate * (performance.now() - started)) / 1000);
    for (; published < due; published++) {
      gateways[next].reportTelemetry(report(next)).catch(() => errors++);
      next = (next + 1) % gateways.length;
    }
  }, 5);
  return {
    source: `connectGateway (${devices.length} gateways, the seed topology)`,
    published: () => published,
    stop: async () => {
      clearInterval(timer);
      await Promise.allSettled(gateways.map((gw) => gw.end(true)));
      return published;
    },
    errors: () => errors,
  };
}

async function handle(m) {
  switch (m.type) {
    case 'start':
      return start(m);
    case 'fleet': {
      devices = m.devices;
      broker = { tcpUrl: m.tcpUrl, close: async () => {} };
      const useEmulator = m.source !== 'gateways' && EMULATOR_BUILT;
      fleet = useEmulator ? await emulatorFleet(m.rate) : await gatewayFleet(m.rate);
      return { type: 'fleet', source: fleet.source, published: fleet.published() };
    }
    case 'mark':
      return { type: 'mark', published: fleet.published(), at: performance.now(), errors: fleet.errors() };
    case 'stop-fleet': {
      const errors = fleet.errors();
      const published = await fleet.stop();
      return { type: 'stop-fleet', published, at: performance.now(), errors };
    }
    case 'exit':
      await broker?.close();
      process.exit(0);
  }
  throw new Error(`unknown message ${m.type}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.on('message', (m) => {
    handle(m).then((reply) => reply && process.send(reply), (err) => process.send({ type: 'error', message: err.stack || String(err) }));
  });
  process.on('disconnect', () => process.exit(0));
}
