// MQTT topic filters (MQTT 3.1.1 / 5.0 section 4.7) in JS: which topics a
// filter matches, and whether a filter is valid. Used by the client's
// messages() iterator and, through the package's exports, by the dashboard's
// traffic filter. Plain JS, no wasm module needed (the C++ core has its own
// matcher, src/mqtt/topic.cpp).

/**
 * A matcher for an MQTT topic filter (4.7): '+' one level, '#' the rest
 * (including the parent level), '$' topics not matched by a leading wildcard
 * [MQTT-4.7.2-1]. "$share/group/f" matches like "f".
 * @param {string} filter
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
 * @param {unknown} filter
 * @returns {string | null}
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
