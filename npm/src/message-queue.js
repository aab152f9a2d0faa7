// messages(filter): an async iterator over received messages whose topic
// matches a filter. Messages that arrive while the consumer is busy are
// buffered; the iterator ends (done) when the client ends or return() is called.

export class MessageIterator {
  /**
   * @param {(topic: string) => boolean} matches
   * @param {(it: MessageIterator) => void} onDone called once when it ends
   */
  constructor(matches, onDone) {
    this.matches = matches;
    this._onDone = onDone;
    this._buffer = [];
    this._head = 0;
    this._waiting = []; // resolves of pending next() calls, oldest first
    this._done = false;
  }

  push(message) {
    if (this._done) return;
    if (this._waiting.length > 0) {
      this._waiting.shift()({ value: message, done: false });
      return;
    }
    this._buffer.push(message);
  }

  /** Ends the iteration once the buffered messages are consumed. */
  end() {
    if (this._done) return;
    this._done = true;
    this._onDone(this);
    const waiting = this._waiting;
    this._waiting = [];
    for (const resolve of waiting) resolve({ value: undefined, done: true });
  }

  next() {
    if (this._head < this._buffer.length) {
      const value = this._buffer[this._head];
      this._buffer[this._head++] = undefined;
      // Compact now and then so a long-lived iterator does not grow forever.
      if (this._head > 1024 && this._head * 2 > this._buffer.length) {
        this._buffer = this._buffer.slice(this._head);
        this._head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this._done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this._waiting.push(resolve);
    });
  }

  /** Stops now: buffered messages are dropped (a `break` in for await). */
  return() {
    this._buffer = [];
    this._head = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
