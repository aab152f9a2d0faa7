// A module Web Worker running createEmulator() from the package's browser
// entry (import maps do not reach workers, so the path is spelled out). The
// default scenario, over the worker's own WebSocket.
import { createEmulator } from '/src/emulator-browser.js';

let emulator = null;
const log = (text) => postMessage({ log: text });

const handlers = {
  async start({ url }) {
    emulator = await createEmulator(undefined, { url });
    emulator.on('error', (err) => log(`error: ${err.message}`));
    await emulator.start();
    await emulator.waitConnected(1, { timeout: 10_000 });
    const gateway = emulator.gateway(0);
    log(`connected as ${gateway.device_number}`);
    return { deviceNumber: gateway.device_number, inWorker: typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope, hasWindow: typeof window !== 'undefined' };
  },
  stats: () => emulator.stats(),
  stop: () => emulator.stop(),
};

self.onmessage = async ({ data }) => {
  try {
    postMessage({ id: data.id, result: await handlers[data.type](data) });
  } catch (err) {
    postMessage({ id: data.id, error: `${err.name}: ${err.message}` });
  }
};
