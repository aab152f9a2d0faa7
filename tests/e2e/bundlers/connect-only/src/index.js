// A bundled app that only speaks MQTT: it imports nothing but connect, so its
// bundle must hold neither the gateway nor the emulator module.
import { connect } from 'tpgate';

function log(text) {
  console.log(text);
  const item = document.createElement('li');
  item.textContent = text;
  document.getElementById('log').append(item);
}

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

window.app = { pubSub };
window.appReady = true;
log('ready');
