// A gateway driven from Node with connectGateway (the node entry of tpgate):
// the seed spec's multi-level topology (the gateway, sensor_001, sensor_002,
// gateway_001 with sensor_101), plus optional extra sub-devices (a hostile
// address for the dashboard's XSS test). Used by the dashboard tests on a
// plain broker (mosquitto), where no emulator is needed.
//
//   const gw = await startSeedGateway(broker.tcpUrl, { deviceNumber: 'gw-1', intervalMs: 500 });
//   ... gw.commands (calls seen) ...
//   await gw.stop();
import { connectGateway } from 'tpgate/gateway';

/** Commands answered with a failure: method -> [errcode, message]. */
export const FAILING = { Explode: ['DEVICE_BUSY', 'device is busy'] };

export async function startSeedGateway(url, { deviceNumber = 'gw-1', intervalMs = 1000, extraSubDevices = [], ...clientOptions } = {}) {
  const gw = await connectGateway(url, { deviceNumber, clientId: `${deviceNumber}-seed-${process.pid}`, ackTimeout: 5000, ...clientOptions });
  const commands = [];
  const errors = [];
  gw.on('error', (err) => errors.push(err));
  let tick = 0;
  // Attributes per target name ('gateway', 'sensor_001', 'gateway_001/sensor_101', ...).
  const attributes = {
    gateway: { ip: '192.168.1.100', version: '2.0.0', mac: '00:11:22:33:44:55' },
    sensor_001: { ip: '192.168.1.101', version: '1.2.0', type: 'temperature' },
    sensor_002: { ip: '192.168.1.102', version: '1.2.0' },
    gateway_001: { ip: '192.168.1.110', version: '1.5.0' },
    'gateway_001/sensor_101': { version: '1.0.0' },
  };
  for (const addr of extraSubDevices) attributes[addr] = { version: '0.0.1' };

  // A report holding `pick(name)` at every target.
  const report = (pick) => {
    const subDevices = { sensor_001: pick('sensor_001'), sensor_002: pick('sensor_002') };
    for (const addr of extraSubDevices) subDevices[addr] = pick(addr);
    return {
      gateway: pick('gateway'),
      subDevices,
      subGateways: { gateway_001: { gateway: pick('gateway_001'), subDevices: { sensor_101: pick('gateway_001/sensor_101') } } },
    };
  };
  const telemetry = () => {
    tick++;
    const wave = (base, amp) => Math.round((base + amp * Math.sin(tick / 5)) * 10) / 10;
    return report((name) => {
      if (name === 'gateway' || name === 'gateway_001') return { temperature: wave(name === 'gateway' ? 26 : 28, 1.5), version: attributes[name].version, switch: tick % 2 === 0 };
      return { temperature: wave(24 + name.length % 5, 2), humidity: wave(60, 5), switch: tick % 3 === 0 };
    });
  };
  const reportAttributes = (name) =>
    gw.reportAttributes(name ? reportFor(name, attributes[name]) : report((n) => attributes[n])).catch((err) => errors.push(err));
  const reportFor = (name, data) => {
    if (name === 'gateway') return { gateway: data };
    const parts = name.split('/');
    if (parts.length === 1 && name === 'gateway_001') return { subGateways: { gateway_001: { gateway: data } } };
    if (parts.length === 1) return { subDevices: { [name]: data } };
    return { subGateways: { [parts[0]]: { subDevices: { [parts[1]]: data } } } };
  };

  gw.onCommand(({ target, method, params }) => {
    commands.push({ target: target.name, method, params });
    if (FAILING[method]) {
      const err = new Error(FAILING[method][1]);
      err.code = FAILING[method][0];
      throw err;
    }
    return {};
  });
  gw.onAttributeSet(({ target, values }) => {
    const name = target.name;
    attributes[name] = { ...(attributes[name] ?? {}), ...values };
    // Like the emulator: a changed attribute is reported at once.
    setTimeout(() => reportAttributes(name), 0);
    return {};
  });
  gw.onAttributeGet(({ target, keys }) => {
    const all = attributes[target.name] ?? {};
    return keys.length ? Object.fromEntries(keys.filter((k) => k in all).map((k) => [k, all[k]])) : all;
  });
  gw.onControl(() => {});

  await gw.reportTelemetry(telemetry());
  const first = (err) => err.code !== 'ERR_TIMEOUT' && errors.push(err);
  void gw.reportAttributes(report((n) => attributes[n])).catch(first);
  void gw.reportEvent({ gateway: { method: 'SystemStarted', params: { version: '2.0.0', mode: 'normal' } } }).catch(first);
  // Reports are not retained: repeat attributes and the event, so a platform
  // that connects later sees them within a few seconds.
  const quiet = (err) => err.code !== 'ERR_TIMEOUT' && errors.push(err);
  let sent = 0;
  const timer = setInterval(() => {
    gw.reportTelemetry(telemetry()).catch((err) => errors.push(err));
    if (++sent % Math.max(1, Math.round(2000 / intervalMs)) === 0) {
      gw.reportAttributes(report((n) => attributes[n])).catch(quiet);
      gw.reportEvent({ gateway: { method: 'Heartbeat', params: { tick } } }).catch(quiet);
    }
  }, intervalMs);

  return {
    gw,
    commands,
    errors,
    attributes,
    reportAttributes,
    stop: async () => {
      clearInterval(timer);
      await gw.end();
    },
  };
}
