// Prometheus metrics of the dev broker (docs/broker.md#metrics), served on
// `metricsPort` / `tpgate broker --metrics-port`. Every label has a small,
// fixed set of values: never a device, topic or client id, so a fleet of
// 10,000 gateways makes the same few series as one.
//
// What is counted where (aedes's documented handlers and events, wrapped on
// the instance so whatever they did before still runs):
// - received: aedes.authorizePublish, called once for every PUBLISH a client
//   sends (not for a will, which the broker publishes for a client gone), with
//   the topic as the client sent it;
// - sent: aedes.authorizeForward, called once for every message handed to a
//   subscriber's connection (one per matching subscriber; also retained
//   messages and a persistent session's queue), counted when it lets it through;
// - refused logins: every CONNACK with a non-zero return code ('connackSent');
//   the reason comes from the error of the authenticate handler, else from the code;
// - connections: the clients aedes has registered (connected now), by listener;
// - ACL denials: reported by ThingsPanel mode (thingspanel.js) through `denial()`.

/** The topic families, `other` for anything else (docs/broker.md#metrics). */
export const FAMILIES = Object.freeze([
  'telemetry', 'attributes', 'event', 'command', 'attribute_set', 'attribute_get',
  'control', 'response', 'ack', 'status', 'register', 'other',
]);

/** `gateway` (gateway/...), `device` (devices/..., the direct-device family and the status), `none` (family other). */
export const SCOPES = Object.freeze(['gateway', 'device', 'none']);

/** Why a login was refused. */
export const REFUSAL_REASONS = Object.freeze(['bad_credentials', 'unknown_device', 'not_authorized', 'other']);

/** What an ACL denied. */
export const DENIED_ACTIONS = Object.freeze(['publish', 'subscribe']);

// The ThingsPanel topics after their first level (gateway / devices), '+' = one
// non-empty level ({dn}, {mid}, {device_id}). First match wins: a response
// comes before the command or attribute set whose shape it shares
// (docs/thingspanel.md#topic-parsing).
const PATTERNS = [
  ['telemetry', 'telemetry'],
  ['telemetry/control/+', 'control'],
  ['attributes/+', 'attributes'],
  ['attributes/set/response/+', 'response'],
  ['attributes/set/+/+', 'attribute_set'],
  ['attributes/get/+', 'attribute_get'],
  ['attributes/response/+/+', 'ack'],
  ['event/+', 'event'],
  ['event/response/+/+', 'ack'],
  ['command/response/+', 'response'],
  ['command/+/+', 'command'],
].map(([pattern, family]) => ({ levels: pattern.split('/'), family }));

const OTHER = Object.freeze({ family: 'other', scope: 'none' });

/**
 * The family and scope of a topic, for the message counters' labels.
 * `gateway/telemetry` -> {family: 'telemetry', scope: 'gateway'},
 * `devices/attributes/response/dn/1` -> {family: 'ack', scope: 'device'},
 * `$SYS/...` or anything else -> {family: 'other', scope: 'none'}.
 * @param {string} topic
 * @returns {{family: string, scope: string}}
 */
export function topicFamily(topic) {
  const levels = topic.split('/');
  const scope = levels[0] === 'gateway' ? 'gateway' : levels[0] === 'devices' ? 'device' : null;
  if (scope === null || levels.length < 2) return OTHER;
  // The broker's registration topics: devices/register, gateway/register and below.
  if (levels[1] === 'register') return { family: 'register', scope };
  for (let i = 1; i < levels.length; i++) if (levels[i] === '') return OTHER;
  if (scope === 'device' && levels.length === 3 && levels[1] === 'status') return { family: 'status', scope };
  for (const { levels: pattern, family } of PATTERNS) {
    if (pattern.length !== levels.length - 1) continue;
    if (pattern.every((p, i) => p === '+' || p === levels[i + 1])) return { family, scope };
  }
  return OTHER;
}

const REASON_BY_RETURN_CODE = { 4: 'bad_credentials', 5: 'not_authorized' };

/**
 * Creates the broker's metrics in a prom-client registry.
 * @param {{client: typeof import('prom-client'), registry: import('prom-client').Registry}} prom
 * @param {{listeners: Array<'tcp' | 'ws'>}} options the listeners the broker opens
 */
export function brokerMetrics({ client, registry }, { listeners }) {
  const registers = [registry];
  let aedes = null;
  let transportOf = () => null;

  const connections = new client.Gauge({
    name: 'tpgate_broker_connections',
    help: 'MQTT clients connected now (accepted and not gone yet), by listener',
    labelNames: ['listener'],
    registers,
    collect() {
      this.reset();
      for (const listener of listeners) this.set({ listener }, 0);
      if (!aedes) return;
      for (const c of Object.values(aedes.clients)) {
        const listener = transportOf(c);
        if (listener === 'tcp' || listener === 'ws') this.inc({ listener });
      }
    },
  });
  const connectionsTotal = new client.Counter({
    name: 'tpgate_broker_connections_total',
    help: 'MQTT connections accepted (CONNACK 0) since the broker started, by listener',
    labelNames: ['listener'],
    registers,
  });
  const received = new client.Counter({
    name: 'tpgate_broker_messages_received_total',
    help: 'PUBLISH packets received from clients, by topic family and scope (gateway/... or devices/...)',
    labelNames: ['family', 'scope'],
    registers,
  });
  const sent = new client.Counter({
    name: 'tpgate_broker_messages_sent_total',
    help: 'Messages delivered to subscribers (one per subscriber), by topic family and scope',
    labelNames: ['family', 'scope'],
    registers,
  });
  const refused = new client.Counter({
    name: 'tpgate_broker_refused_logins_total',
    help: 'CONNECTs refused (CONNACK return code other than 0), by reason',
    labelNames: ['reason'],
    registers,
  });
  const denials = new client.Counter({
    name: 'tpgate_broker_acl_denials_total',
    help: 'Device publishes dropped and subscriptions refused by the ThingsPanel topic rules, by action',
    labelNames: ['action'],
    registers,
  });
  for (const listener of listeners) connectionsTotal.inc({ listener }, 0);
  for (const reason of REFUSAL_REASONS) refused.inc({ reason }, 0);
  for (const action of DENIED_ACTIONS) denials.inc({ action }, 0);

  // One child per label pair: a message's count is then one lookup, not a label hash.
  const children = (counter) => {
    const byKey = new Map();
    return (topic) => {
      const { family, scope } = topicFamily(topic);
      const key = `${family} ${scope}`;
      let child = byKey.get(key);
      if (!child) byKey.set(key, (child = counter.labels({ family, scope })));
      return child;
    };
  };
  const receivedOf = children(received);
  const sentOf = children(sent);

  return {
    /** ThingsPanel mode's ACL refused `action` ('publish' or 'subscribe'). */
    denial(action) {
      denials.inc({ action });
    },

    /**
     * Hooks into a broker made with aedes; `transport(client)` names its
     * listener ('tcp' or 'ws').
     */
    attach(broker, transport) {
      aedes = broker;
      transportOf = transport;
      const { authenticate, authorizePublish, authorizeForward } = broker;
      const reasons = new WeakMap();

      broker.authenticate = function countedAuthenticate(c, username, password, callback) {
        return authenticate.call(this, c, username, password, (err, ok) => {
          if (err && REFUSAL_REASONS.includes(err.reason)) reasons.set(c, err.reason);
          callback(err, ok);
        });
      };
      broker.authorizePublish = function countedAuthorizePublish(c, packet, callback) {
        if (c && packet !== c.will) receivedOf(packet.topic).inc();
        return authorizePublish.call(this, c, packet, callback);
      };
      broker.authorizeForward = function countedAuthorizeForward(c, packet) {
        const forwarded = authorizeForward.call(this, c, packet);
        if (forwarded) sentOf(forwarded.topic).inc();
        return forwarded;
      };
      broker.on('connackSent', (packet, c) => {
        if (packet.returnCode === 0) {
          const listener = transportOf(c);
          if (listener === 'tcp' || listener === 'ws') connectionsTotal.inc({ listener });
          return;
        }
        refused.inc({ reason: reasons.get(c) ?? REASON_BY_RETURN_CODE[packet.returnCode] ?? 'other' });
      });
    },
  };
}
