// A ThingsPanel gateway in a page: answer commands, report telemetry.
// bench/size.mjs builds it with Vite and weighs what the page fetches.
import { connectGateway } from 'tpgate/gateway';

const log = (line) => {
  document.getElementById('log').textContent += `${line}\n`;
};

const gw = await connectGateway('ws://127.0.0.1:8083/mqtt', { deviceNumber: 'dn-1', username: 'voucher' });
gw.onCommand(async ({ target, method, params }) => {
  log(`command ${method} for ${target.name}: ${JSON.stringify(params)}`);
  return { ok: true };
});
await gw.reportTelemetry({ gateway: { temperature: 21.5 }, subDevices: { sensor_101: { humidity: 40 } } });
