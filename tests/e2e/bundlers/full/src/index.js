// A bundled app using tpgate as an application would: the MQTT client from
// 'tpgate' (in pubsub.js), the ThingsPanel clients from 'tpgate/gateway' and 'tpgate/platform'. The test calls
// window.app.* with page.evaluate.
import { connectGateway } from 'tpgate/gateway';
import { connectPlatform } from 'tpgate/platform';
import { log, pubSub } from './pubsub.js';

// A gateway answers a command the platform sends it.
async function command(url, deviceNumber) {
  const gw = await connectGateway(url, { deviceNumber, reconnect: false });
  const calls = [];
  gw.onCommand(({ target, method, params }) => {
    calls.push({ path: target.path, method, params });
    return { rebooted: true };
  });
  const pf = await connectPlatform(url, { defaultGateway: deviceNumber, requestTimeout: 5000, reconnect: false });
  const { result, response } = await pf.sendCommand(deviceNumber, ['sensor_1'], 'Reboot', { delay: 3 });
  await gw.end();
  await pf.end();
  log(`command: ${JSON.stringify(response)}`);
  return { calls, result, message: response.message, method: response.method };
}

window.app = { pubSub, command };
window.appReady = true;
log('ready');
