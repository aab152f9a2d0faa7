// indexedDbStore(name): a client session kept in the page's IndexedDB, across
// reloads and restarts of the browser. One object store of chunks: a snapshot
// followed by journals (src/mqtt/session_store.hpp), in key order.
//
// append() resolves when its transaction completes; the client writes the
// bytes a journal protects only then, so a reload or a crashed tab loses
// nothing that went out. Durability 'default' lets the browser decide how
// hard to flush (a crash of the tab or the browser keeps it; a power cut may
// not); 'strict' flushes to disk before the transaction completes.
// Web Locks (where the browser has them) keep two tabs off one store.
import { InvalidOptionError, StoreError } from './errors.js';
import { concatBytes } from './store-memory.js';

const OBJECT_STORE = 'log';
const IDB_STORE_OPTIONS = ['durability', 'recover'];

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

class IndexedDbStore {
  constructor(name, options) {
    this.kind = 'indexeddb';
    this.name = name;
    this.recover = options.recover === true;
    this._durability = options.durability ?? 'default';
    this._db = null;
    this._release = null;
  }

  async _lock() {
    const locks = globalThis.navigator?.locks;
    if (locks === undefined) return;
    await new Promise((resolve, reject) => {
      locks
        .request(`tpgate-store:${this.name}`, { ifAvailable: true }, (lock) => {
          if (lock === null) {
            reject(new StoreError('ERR_STORE_LOCKED', `the session store '${this.name}' is in use by another tab or client`));
            return undefined;
          }
          resolve();
          return new Promise((release) => {
            this._release = release;
          });
        })
        .catch(reject);
    });
  }

  async load() {
    if (typeof indexedDB === 'undefined') {
      throw new StoreError('ERR_STORE_READ', 'indexedDbStore needs IndexedDB, which this environment does not have');
    }
    await this._lock();
    try {
      const open = indexedDB.open(this.name, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(OBJECT_STORE, { autoIncrement: true });
      this._db = await done(open);
      const tx = this._db.transaction(OBJECT_STORE, 'readonly');
      const chunks = await done(tx.objectStore(OBJECT_STORE).getAll());
      return chunks.length === 0 ? new Uint8Array(0) : concatBytes(chunks.map((c) => new Uint8Array(c)));
    } catch (err) {
      this.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError('ERR_STORE_READ', `cannot read the session store '${this.name}': ${err?.message ?? err}`, { cause: err });
    }
  }

  _write(what, fill) {
    return new Promise((resolve, reject) => {
      let tx;
      try {
        tx = this._db.transaction(OBJECT_STORE, 'readwrite', { durability: this._durability });
        fill(tx.objectStore(OBJECT_STORE));
      } catch (err) {
        reject(new StoreError('ERR_STORE_WRITE', `cannot ${what} the session store '${this.name}': ${err?.message ?? err}`, { cause: err }));
        return;
      }
      tx.oncomplete = () => resolve();
      const failed = () => {
        const err = tx.error;
        const hint = err?.name === 'QuotaExceededError' ? ' (the storage quota is used up)' : '';
        reject(new StoreError('ERR_STORE_WRITE', `cannot ${what} the session store '${this.name}': ${err?.message ?? 'aborted'}${hint}`, { cause: err }));
      };
      tx.onabort = failed;
      tx.onerror = (event) => event.preventDefault();
    });
  }

  append(bytes) {
    // A copy: the client's frame memory is reused.
    return this._write('append to', (store) => store.add(bytes.slice()));
  }

  replace(bytes) {
    return this._write('write', (store) => {
      store.clear();
      store.add(bytes.slice());
    });
  }

  close() {
    this._db?.close();
    this._db = null;
    this._release?.();
    this._release = null;
  }
}

/**
 * @param {string} name IndexedDB database name of the store
 * @param {{durability?: 'default'|'strict'|'relaxed', recover?: boolean}} [options]
 */
export function indexedDbStore(name, options = {}) {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidOptionError('name', 'indexedDbStore(name): name must be a non-empty string (the IndexedDB database)');
  }
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'indexedDbStore(name, options): options must be an object');
  for (const key of Object.keys(options)) {
    if (!IDB_STORE_OPTIONS.includes(key)) {
      throw new InvalidOptionError(key, `indexedDbStore: unknown option '${key}' (known: ${IDB_STORE_OPTIONS.join(', ')})`);
    }
  }
  if (options.durability !== undefined && !['default', 'strict', 'relaxed'].includes(options.durability)) {
    throw new InvalidOptionError('durability', "indexedDbStore: durability must be 'default', 'strict' or 'relaxed'");
  }
  return new IndexedDbStore(name, options);
}

/** Node's fileStore() has no file system to use in a browser: a clear error instead of a missing export. */
export function fileStore() {
  throw new InvalidOptionError('store', 'fileStore() needs Node\'s file system; in a browser use indexedDbStore(name)');
}
