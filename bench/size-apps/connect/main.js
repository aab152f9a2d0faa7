// The smallest useful MQTT app: connect, subscribe, publish, print what
// arrives. bench/size.mjs builds it with Vite and weighs what the page fetches.
import { connect } from 'tpgate';

const log = (line) => {
  document.getElementById('log').textContent += `${line}\n`;
};

const client = await connect('ws://127.0.0.1:8083/mqtt', { keepalive: 30 });
client.on('message', (topic, payload) => log(`${topic}: ${new TextDecoder().decode(payload)}`));
await client.subscribe('sensors/+', { qos: 1 });
await client.publish('sensors/a', JSON.stringify({ t: 21.5 }), { qos: 1 });
