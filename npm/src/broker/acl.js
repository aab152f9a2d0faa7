// The ThingsPanel broker's topic rules for devices (docs/thingspanel.md#topics,
// docs/thingspanel.md#one-filter-per-subscribe, docs/thingspanel.md#online-status), as pure functions so they
// can be read and tested without a broker. The platform users (`root`, `plugin`) are not checked.
//
// Matching works level by level, as gmqtt's plugin/thingspanel/util does: a
// topic or filter matches a pattern when it has the same number of levels and
// every level matches. In a publish pattern `+` stands for a message_id (any
// non-empty level). In a subscribe pattern `{dn}` must be the device's own
// device_number and `+` may be a concrete message_id or `+`, never `#`.
// So this is not MQTT filter matching (../topic-filter.js): no `#`, a `+`
// never matches an empty level, and a subscribe filter is compared with a
// pattern level by level rather than matched against a topic.

/** Topics a gateway device may publish (docs/thingspanel.md#gateway-publishes). */
export const UPLINK_TOPICS = Object.freeze([
  'gateway/telemetry',
  'gateway/attributes/+',
  'gateway/event/+',
  'gateway/command/response/+',
  'gateway/attributes/set/response/+',
]);

/** Filters a gateway device may subscribe to, `{dn}` = its device_number (docs/thingspanel.md#gateway-subscribes). */
export const DOWNLINK_FILTERS = Object.freeze([
  'gateway/telemetry/control/{dn}',
  'gateway/attributes/set/{dn}/+',
  'gateway/attributes/get/{dn}',
  'gateway/command/{dn}/+',
  'gateway/attributes/response/{dn}/+',
  'gateway/event/response/{dn}/+',
  'devices/attributes/response/{dn}/+',
  'devices/event/response/{dn}/+',
]);

const split = (patterns) => patterns.map((p) => p.split('/'));
const UPLINK = split(UPLINK_TOPICS);
const DOWNLINK = split(DOWNLINK_FILTERS);

/**
 * Why a device may not publish on `topic`, or null when it may.
 * @param {string} topic
 * @returns {string | null}
 */
export function publishDenial(topic) {
  if (topic.startsWith('devices/status/')) {
    return 'devices/status/{device_id} is published by the broker only (docs/thingspanel.md#online-status)';
  }
  const levels = topic.split('/');
  const allowed = UPLINK.some(
    (pattern) =>
      pattern.length === levels.length &&
      pattern.every((p, i) => (p === '+' ? levels[i] !== '' : p === levels[i])),
  );
  return allowed ? null : `not a gateway uplink topic (allowed: ${UPLINK_TOPICS.join(', ')})`;
}

/**
 * Why a device whose device_number is `dn` may not subscribe to `filter`,
 * or null when it may.
 * @param {string} filter
 * @param {string} dn
 * @returns {string | null}
 */
export function subscribeDenial(filter, dn) {
  const levels = filter.split('/');
  const allowed = DOWNLINK.some(
    (pattern) =>
      pattern.length === levels.length &&
      pattern.every((p, i) => {
        if (p === '{dn}') return levels[i] === dn;
        if (p === '+') return levels[i] !== '#' && levels[i] !== '';
        return p === levels[i];
      }),
  );
  return allowed ? null : `not one of the downlink filters of device_number '${dn}' (${DOWNLINK_FILTERS.join(', ')})`;
}
