// Shared by both fixture apps (the test copies it into each app's src/): a
// log on the page and a pub/sub round trip with connect().
import { connect } from 'tpgate';

export function log(text) {
  console.log(text);
  const item = document.createElement('li');
  item.textContent = text;
  document.getElementById('log').append(item);
}

// connect, subscribe, publish, receive the message back, end.
export async function pubSub(url, topic) {
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
