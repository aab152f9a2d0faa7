// The client against a real mosquitto (started on free loopback ports), over
// its WebSocket and TCP listeners, MQTT 3.1.1 and 5: see helpers/broker-suite.js.
import { defineBrokerSuite } from './helpers/broker-suite.js';
import { startMosquitto } from './helpers/mosquitto.js';

defineBrokerSuite({
  name: 'mosquitto',
  start: () => startMosquitto(),
  transports: ['ws', 'tcp'],
  versions: [4, 5],
});
