// A small event emitter that runs the same in browsers and Node (no
// node:events). Unlike Node's, an 'error' without listeners is dropped rather
// than thrown: every error that matters also rejects a promise.

export class Emitter {
  constructor() {
    /** @type {Map<string, Function[]>} */
    this._listeners = new Map();
  }

  on(event, listener) {
    if (typeof listener !== 'function') throw new TypeError(`on('${event}'): the listener must be a function`);
    const list = this._listeners.get(event);
    // Copy on write: an emit in progress keeps iterating its own array.
    this._listeners.set(event, list ? [...list, listener] : [listener]);
    return this;
  }

  once(event, listener) {
    const wrapper = (...args) => {
      this.off(event, wrapper);
      listener.apply(this, args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  off(event, listener) {
    const list = this._listeners.get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l === listener || l.listener === listener);
    if (i < 0) return this;
    const next = list.slice(0, i).concat(list.slice(i + 1));
    if (next.length === 0) this._listeners.delete(event);
    else this._listeners.set(event, next);
    return this;
  }

  removeAllListeners(event) {
    if (event === undefined) this._listeners.clear();
    else this._listeners.delete(event);
    return this;
  }

  listenerCount(event) {
    return this._listeners.get(event)?.length ?? 0;
  }

  /** Calls each listener; one that throws does not stop the others or the client. */
  emit(event, a, b, c) {
    const list = this._listeners.get(event);
    if (!list) return false;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i].call(this, a, b, c);
      } catch (err) {
        // A bug in user code must not wedge the session loop; surface it
        // asynchronously the way an uncaught exception would be.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    return true;
  }
}
