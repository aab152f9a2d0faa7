// What the hosts of the two ThingsPanel roles (gateway.js: connectGateway(), platform.js:
// connectPlatform()) share: the wasm role and its module, one timer at the role's next
// deadline, and the promises waiting on tokens the role hands out. Also the one place
// where a .wasm that fails to load becomes ERR_WASM_LOAD (client.js uses it too).
import { Emitter } from './emitter.js';
import { TpgateError } from './errors.js';

/**
 * The module, from `loadTpgate({locateFile, wasmBinary})` of `options`; a failure to load
 * rejects with ERR_WASM_LOAD.
 */
export async function loadModule(loadTpgate, options) {
  try {
    return await loadTpgate({ locateFile: options.locateFile, wasmBinary: options.wasmBinary });
  } catch (err) {
    throw new TpgateError('ERR_WASM_LOAD', `the tpgate .wasm could not be loaded: ${err?.message ?? err}`, { cause: err });
  }
}

export class RoleHost extends Emitter {
  /**
   * @param client  the MQTT client ('message' events, publish(), end())
   * @param role    a wasm role, owned (deleted by _endHost())
   * @param tpgate  the module the role lives in
   */
  constructor(client, role, tpgate) {
    super();
    this.client = client;
    this._role = role;
    this._tpgate = tpgate;
    this._pending = new Map(); // token -> {resolve, reject, ...info}
    this._timer = null;
    this._timerAt = Infinity;
    this._ended = false;
  }

  /** Called when the timer fires (the role's deadline came): the subclass ticks its role. */
  _deadline() {}

  /** One timer at `at` (ms on Date.now()'s clock), none for null; left alone while `at` is unchanged. */
  _arm(at) {
    if (this._ended) return;
    if (at === null) {
      if (this._timer !== null) clearTimeout(this._timer);
      this._timer = null;
      this._timerAt = Infinity;
      return;
    }
    if (this._timer !== null && this._timerAt === at) return;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timerAt = at;
    this._timer = setTimeout(() => {
      this._timer = null;
      this._timerAt = Infinity;
      if (!this._ended) this._deadline();
    }, Math.max(0, at - Date.now()));
  }

  /** A promise settled through _settle(token); `info` is kept beside resolve and reject. */
  _wait(token, info) {
    return new Promise((resolve, reject) => {
      this._pending.set(token, { ...info, resolve, reject });
    });
  }

  /** The entry waiting on `token`, no longer waiting; undefined if none. */
  _settle(token) {
    const entry = this._pending.get(token);
    if (entry !== undefined) this._pending.delete(token);
    return entry;
  }

  /** Ends the host: no timer, every waiting promise rejected with makeError(entry), the role deleted. */
  _endHost(makeError) {
    this._ended = true;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    this._timerAt = Infinity;
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const entry of pending) entry.reject(makeError(entry));
    this._role.delete();
    this._role = null;
  }
}
