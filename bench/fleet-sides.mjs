// The two fleets of bench/fleet.mjs, built to send the same thing: per
// gateway, once a second, one telemetry message on gateway/telemetry holding
// the gateway's own values and those of its sub-devices (sensor_01 ..), three
// keys each (temperature: random walk, humidity: uniform, switch: boolean), at QoS 1;
// and each subscribes the eight gateway topic filters, one SUBSCRIBE each.

/** The emulator's scenario for the fleet. */
export function fleetScenario(gateways, subDevices) {
  const device = () => ({
    telemetry: {
      temperature: { type: 'random_walk', start: 25, step: 0.5, min: -20, max: 60, decimals: 1 },
      humidity: { type: 'uniform', min: 40, max: 70, decimals: 1 },
      switch: true,
    },
  });
  const sub = {};
  for (let k = 1; k <= subDevices; k++) sub[`sensor_${String(k).padStart(2, '0')}`] = device();
  return {
    name: 'fleet bench',
    seed: 1,
    broker: { protocol_version: 4, keepalive_s: 60, qos: 1 },
    gateways: { count: gateways, device_number: 'bench-{i:6}' },
    gateway: { ...device(), telemetry_interval_s: 1, sub_devices: sub },
  };
}

/** The topic filters a ThingsPanel gateway subscribes to. */
export function gatewayFilters(dn) {
  return [
    `gateway/telemetry/control/${dn}`,
    `gateway/attributes/set/${dn}/+`,
    `gateway/attributes/get/${dn}`,
    `gateway/command/${dn}/+`,
    `gateway/attributes/response/${dn}/+`,
    `gateway/event/response/${dn}/+`,
    `devices/attributes/response/${dn}/+`,
    `devices/event/response/${dn}/+`,
  ];
}

const round1 = (x) => Math.round(x * 10) / 10;

// One device's values, advanced once per message the way the generators do.
class DeviceValues {
  constructor() {
    this.temperature = 25;
  }

  next() {
    this.temperature = Math.min(60, Math.max(-20, this.temperature + (Math.random() * 2 - 1) * 0.5));
    return { temperature: round1(this.temperature), humidity: round1(40 + Math.random() * 30), switch: true };
  }
}

/**
 * N MQTT.js clients, one per gateway, at most `concurrency` connecting at
 * once; each starts its 1 s interval at a random phase once connected.
 */
export async function mqttjsFleet(mqtt, url, gateways, subDevices, concurrency) {
  const names = Array.from({ length: subDevices }, (_, k) => `sensor_${String(k + 1).padStart(2, '0')}`);
  const clients = [];
  const timers = [];
  let published = 0;
  let errors = 0;

  const startGateway = (i) =>
    new Promise((resolve, reject) => {
      const dn = `mq-${String(i).padStart(6, '0')}`;
      const client = mqtt.connect(url, {
        clientId: dn,
        protocolVersion: 4,
        keepalive: 60,
        reconnectPeriod: 0,
        connectTimeout: 120_000,
      });
      client.once('connect', () => {
        // What a gateway subscribes (docs/thingspanel.md#gateway-subscribes), one filter
        // per SUBSCRIBE (docs/thingspanel.md#one-filter-per-subscribe), as the emulator's
        // gateways do: the broker's work per gateway is then the same on both sides.
        for (const filter of gatewayFilters(dn)) client.subscribe(filter, { qos: 1 });
        const own = new DeviceValues();
        const subs = names.map(() => new DeviceValues());
        const send = () => {
          const sub_device_data = {};
          for (let k = 0; k < names.length; k++) sub_device_data[names[k]] = subs[k].next();
          const payload = JSON.stringify({ gateway_data: own.next(), sub_device_data });
          client.publish('gateway/telemetry', payload, { qos: 1 }, (err) => (err ? errors++ : published++));
        };
        timers.push(setTimeout(() => timers.push(setInterval(send, 1000)), Math.random() * 1000));
        resolve(client);
      });
      client.once('error', (err) => {
        errors++;
        reject(err);
      });
    });

  let next = 0;
  const worker = async () => {
    while (next < gateways) clients.push(await startGateway(next++));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, gateways) }, worker));

  return {
    extra: () => ({ published, errors }),
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      const batch = 500;
      for (let i = 0; i < clients.length; i += batch) await Promise.all(clients.slice(i, i + batch).map((c) => c.endAsync()));
    },
  };
}
