// messages(filter): an async iterator over received messages whose topic
// matches a filter. Messages that arrive while the consumer is busy are
// buffered; the iterator ends (done) when the client ends or return() is called.

/**
 * A matcher for an MQTT topic filter (4.7): '+' one level, '#' the rest
 * (including the parent level), '$' topics not matched by a leading wildcard
 * [MQTT-4.7.2-1]. "$share/group/f" matches like "f".
 * @returns {(topic: string) => boolean}
 */
export function topicMatcher(filter) {
  if (filter.startsWith('$share/')) filter = filter.split('/').slice(2).join('/');
  if (filter === '#') return (topic) => topic.charCodeAt(0) !== 36; // '$'
  if (!filter.includes('+') && !filter.includes('#')) return (topic) => topic === filter;
  const levels = filter.split('/');
  const leadingWildcard = levels[0] === '+' || levels[0] === '#';
  return (topic) => {
    if (leadingWildcard && topic.charCodeAt(0) === 36) return false;
    const parts = topic.split('/');
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === '#') return true;
      if (i >= parts.length) return false;
      if (level !== '+' && level !== parts[i]) return false;
    }
    return parts.length === levels.length;
  };
}

/**
 * Why `filter` is not a valid topic filter, or null. '#' only as the whole
 * last level [MQTT-4.7.1-2], '+' only as a whole level [MQTT-4.7.1-3], no NUL
 * [MQTT-4.7.3-2], at least one character [MQTT-4.7.3-1].
 */
export function filterProblem(filter) {
  if (typeof filter !== 'string' || filter.length === 0) return 'must be a non-empty string';
  if (filter.includes('\u0000')) return 'must not contain NUL';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return "'#' must be the whole last level";
    }
    if (level.includes('+') && level !== '+') return "'+' must be a whole level";
  }
  return null;
}

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
