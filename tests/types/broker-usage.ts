// Uses the typed API of 'tpgate/broker' as a user's TypeScript project would.
// Only type-checked (tsc -p tests/types), never run.
import {
  startBroker,
  generateDevices,
  generateDevicesFile,
  loadDevicesFile,
  validateDevices,
  deviceIdFor,
  publishDenial,
  subscribeDenial,
  DevicesFileError,
  UPLINK_TOPICS,
  DOWNLINK_FILTERS,
} from 'tpgate/broker';
import type { Broker, BrokerOptions, Device, DeviceEntry } from 'tpgate/broker';

export async function brokerUsage(): Promise<void> {
  const devices: DeviceEntry[] = generateDevices({ count: 2, deviceNumber: 'gw-{i:3}', password: 'pw-{i}' });
  const options: BrokerOptions = {
    tcpPort: 0, wsPort: null, wsPath: '/mqtt', host: '127.0.0.1',
    thingspanel: devices, rootPassword: 'secret', log: (line: string) => void line,
  };
  const broker: Broker = await startBroker(options);
  const tcp: string | undefined = broker.urls.tcp;
  const port: number | null = broker.tcpPort;
  const mode: 'plain' | 'thingspanel' = broker.mode;
  const first: Device | undefined = broker.devices[0];
  void [tcp, port, mode, first?.password, broker.aedes.id];
  await broker.close();

  await startBroker({ thingspanel: 'devices.json', log: false });
  const loaded: Device[] = await loadDevicesFile('devices.json');
  const checked: Device[] = validateDevices(JSON.parse('[]'), 'inline');
  const written: DeviceEntry[] = await generateDevicesFile('devices.json');
  const id: string = deviceIdFor('gw-1');
  const why: string | null = publishDenial('gateway/telemetry') ?? subscribeDenial('gateway/command/gw-1/+', 'gw-1');
  void [loaded, checked, written, id, why, UPLINK_TOPICS.length, DOWNLINK_FILTERS.length];
  try {
    await loadDevicesFile('bad.json');
  } catch (err) {
    if (err instanceof DevicesFileError) {
      const where: [number | undefined, string | undefined] = [err.index, err.field];
      void where;
    }
  }

  // @ts-expect-error ports are numbers
  await startBroker({ tcpPort: '1883' });
  // @ts-expect-error unknown option
  await startBroker({ tcpport: 1883 });
  // @ts-expect-error a device needs a username
  const bad: DeviceEntry = { device_id: 'a', device_number: 'b' };
  void bad;
}
