// A bundled app that only speaks MQTT: it imports nothing of tpgate but
// connect (in pubsub.js), so its bundle must hold none of the gateway,
// platform and emulator modules.
import { log, pubSub } from './pubsub.js';

window.app = { pubSub };
window.appReady = true;
log('ready');
