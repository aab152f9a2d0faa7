// What `tpgate/gateway` exports, made from an environment (env-browser.js or
// env-node.js) and the gateway module: connectGateway() (the device side) and
// connectPlatform() (the platform side). Their MQTT client runs on the
// gateway module too, so a gateway app loads one module, not two.
import { createConnect } from './client.js';
import { createConnectGateway } from './gateway.js';
import { createModuleLoader } from './module.js';
import { createConnectPlatform } from './platform.js';

export function gatewayEntry(env, createGatewayModule, instantiate) {
  const loadTpgateGateway = createModuleLoader(createGatewayModule, instantiate);
  const connect = createConnect(loadTpgateGateway, env.supported, env.openTransport);
  return {
    loadTpgateGateway,
    connectGateway: createConnectGateway(loadTpgateGateway, connect),
    connectPlatform: createConnectPlatform(connect, loadTpgateGateway),
  };
}
