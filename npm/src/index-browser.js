// Entry point under the "browser" and "default" export conditions.
import { createModuleLoader } from './module.js';
import { instantiate } from './wasm-browser.js';

export const loadTpgate = createModuleLoader(instantiate);
