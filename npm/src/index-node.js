// Entry point under the "node" export condition.
import { createModuleLoader } from './module.js';
import { instantiate } from './wasm-node.js';

export const loadTpgate = createModuleLoader(instantiate);
