// A bundled app using tpgate as an application would: the MQTT client from
// 'tpgate', the ThingsPanel clients from 'tpgate/gateway' and 'tpgate/platform'. The test calls
// window.app.* with page.evaluate.
import { connect } from 'tpgate';
import { connectGateway } from 'tpgate/gateway';
import { connectPlatform } from 'tpgate/platform';

function log(text) {
  console.log(text);
  const item = document.createElement('li');
  item.textContent = text;
  document.getElementById('log').append(item);
}

// connect, subscribe, publish, receive the message back, end.
async function pubSub(url, topic) {
  const client = await connect(url, { protocolVersion: 5, reconnect: false });
  const received = new Promise((resolve) => {
    client.on('message', (t, payload, packet) => resolve({ topic: t, text: new TextDecoder().decode(payload), qos: packet.qos }));
  });
  const granted = await client.subscribe(topic, { qos: 1 });
  await client.publish(topic, 'hello from a bundle', { qos: 1 });
  const message = await received;
  await client.end();
  log(`pub/sub: ${JSON.stringify(message)}`);
  return { granted, message };
}

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
