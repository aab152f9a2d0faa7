// ThingsPanel mode: aedes handlers that do what the platform's broker (gmqtt
// with its thingspanel plugin, plugin/thingspanel/hooks.go) does:
// - authentication by voucher (docs/thingspanel.md#authentication); `root` and
//   `plugin` are the platform's users, with full access;
// - topic ACLs for devices (acl.js), of which a SUBSCRIBE is judged by its
//   first filter alone (docs/thingspanel.md#one-filter-per-subscribe);
// - every device publish is rewritten into {"device_id","values":base64}
//   (docs/thingspanel.md#broker-envelope);
// - devices/status/{device_id} `1` / `0` when a device connects / goes away
//   (docs/thingspanel.md#online-status);
// - topic mapping per the device's configuration (docs/thingspanel.md#topic-mapping,
//   docs/configurations.md#topic-mappings): a device publish on a custom topic
//   an up rule matches is republished, enveloped, on the rule's standard topic
//   and the original dropped; a standard downlink the platform publishes is also
//   forwarded to the device's custom topic of the first matching down rule
//   (with data_identifier: only when the payload's `method` matches, cut to
//   `params`); a device may subscribe to its down rules' custom topics.
//
// aedes speaks MQTT 3.1.1 only, so refusals are 3.1.1 CONNACK return codes
// (2 identifier rejected, 4 bad user name or password, 5 not authorized; what
// MQTT 5 calls 0x85, 0x86, 0x87).
import { MAPPED_DOWNLINKS, compileTopicPattern, renderTopic } from '../configurations.js';
import { publishDenial, subscribeDenial } from './acl.js';

const MAX_KEEPALIVE_S = 300;

// Device publishes the ACL refuses are acknowledged and dropped, as gmqtt
// does (its OnMsgArrived error drops the message; the connection stays). aedes
// would close the connection on an authorizePublish error, so a refused
// publish is instead moved to this topic, which authorizeForward never delivers.
const DROPPED = '$tpgate/dropped';

/** `reason`: the refused-logins metric's label (metrics.js REFUSAL_REASONS). */
function refusal(returnCode, message, reason) {
  const err = new Error(message);
  err.returnCode = returnCode;
  err.reason = reason;
  err.tpgateLogged = true;
  return err;
}

const DOWNLINK_RX = MAPPED_DOWNLINKS.map((p) => compileTopicPattern(p));

/** The device_number a standard downlink topic is addressed to, or null. */
function downlinkDeviceNumber(topic) {
  for (const rx of DOWNLINK_RX) {
    const m = rx.exec(topic);
    if (m) return m.groups.device_number;
  }
  return null;
}

/** Message ids for mapped uplinks whose target needs one: 7 digits, never repeating in a row (docs/thingspanel.md#message-id). */
let lastId = 0;
function nextMessageId() {
  lastId = Math.max(Date.now(), lastId + 1);
  return String(lastId % 1e7).padStart(7, '0');
}

/**
 * `onDenial(action)` is told of every publish the ACL drops ('publish') and
 * every subscription it refuses ('subscribe', once per filter refused).
 * @param {{registry: object, rootPassword?: string | null, pluginPassword?: string | null,
 *          log: (line: string) => void, transportOf: (client: object) => string,
 *          onDenial?: (action: 'publish' | 'subscribe') => void}} options
 * @returns {{handlers: object, attach: (aedes: object) => void, watchClient: (client: object) => void}}
 */
export function thingspanelMode({ registry, rootPassword = null, pluginPassword = null, log, transportOf, onDenial = () => {} }) {
  const byUsername = new Map(registry.devices.map((d) => [d.username, d]));
  registry.onAdd((d) => byUsername.set(d.username, d));
  const connectedEver = new WeakSet(); // devices that have connected once
  const onlineCount = new WeakMap(); // device -> connections now
  const connects = new WeakMap(); // client -> {clientId, keepalive}
  const identities = new WeakMap(); // client -> {kind: 'device'|'root'|'plugin', device?}
  const subscribeGroups = new WeakMap(); // subscription object -> its SUBSCRIBE's group
  const online = new WeakSet(); // clients whose status 1 was published
  let aedes = null;

  const who = (client) => {
    const id = identities.get(client);
    const name = `client '${client.id}'`;
    if (!id) return name;
    return id.kind === 'device' ? `${name} (device ${id.device.device_number})` : `${name} (${id.kind})`;
  };

  const platformUser = (username, password, configured, flag) => {
    if (configured === null) {
      return refusal(5, `not authorized: "${username}" is disabled; start the broker with ${flag} to let the platform in`, 'not_authorized');
    }
    return password === configured ? null : refusal(4, `bad user name or password: wrong password for "${username}"`, 'bad_credentials');
  };

  function authenticate(client, username, password, callback) {
    const info = connects.get(client) ?? {};
    const pass = password === undefined || password === null ? '' : Buffer.from(password).toString('utf8');
    const user = username ?? '';
    const refuse = (err) => {
      log(`connect refused: ${info.clientId ? `client '${info.clientId}'` : 'a client with an empty id'}`
        + ` username '${user}' over ${transportOf(client)}: ${err.message} (CONNACK ${err.returnCode})`);
      callback(err, false);
    };
    // docs/thingspanel.md#authentication: a unique, non-empty client id and keep-alive of at most 300 s.
    if (!info.clientId) {
      return refuse(refusal(2, 'identifier rejected: the client id is empty; ThingsPanel needs a unique, non-empty one', 'other'));
    }
    if (info.keepalive === 0 || info.keepalive > MAX_KEEPALIVE_S) {
      return refuse(refusal(5, `not authorized: keep-alive ${info.keepalive} s; ThingsPanel allows 1 to ${MAX_KEEPALIVE_S} s`, 'other'));
    }
    let identity;
    if (user === 'root' || user === 'plugin') {
      const err = user === 'root'
        ? platformUser(user, pass, rootPassword, '--root-password')
        : platformUser(user, pass, pluginPassword, '--plugin-password');
      if (err) return refuse(err);
      identity = { kind: user };
    } else {
      const device = byUsername.get(user);
      if (!device) {
        return refuse(refusal(4, user === ''
          ? 'bad user name or password: no username; a device connects with its voucher username'
          : `bad user name or password: no device has the voucher username '${user}'`, 'unknown_device'));
      }
      // The voucher matches as a whole: a password where none is set fails too.
      if (pass !== (device.password ?? '')) {
        return refuse(refusal(4, `bad user name or password: wrong password for device ${device.device_number}`, 'bad_credentials'));
      }
      identity = { kind: 'device', device };
    }
    identities.set(client, identity);
    log(`connect accepted: client '${info.clientId}' over ${transportOf(client)} as `
      + (identity.kind === 'device'
        ? `device ${identity.device.device_number} (device_id ${identity.device.device_id}, ${identity.device.type})`
        : `${identity.kind} (full access)`));
    callback(null, true);
  }

  function preConnect(client, packet, callback) {
    connects.set(client, { clientId: packet.clientId, keepalive: packet.keepalive });
    callback(null, true);
  }

  function authorizePublish(client, packet, callback) {
    const identity = client ? identities.get(client) : undefined;
    if (identity?.kind !== 'device') {
      // The platform users pass unchanged (a standard downlink may also be
      // forwarded to a device's custom topic); so do wills the broker
      // publishes for clients long gone (client null).
      if (identity) mapDown(packet);
      return callback(null);
    }
    const { device } = identity;
    const mapped = mapUp(device, packet);
    if (mapped) {
      aedes.publish({
        cmd: 'publish', topic: mapped.topic, payload: envelope(device, packet.payload), qos: packet.qos, retain: false, dup: false,
      }, () => {});
      log(`topic mapped: ${who(client)} '${packet.topic}' -> '${mapped.topic}' (${mapped.rule.at} of configuration ${device.configuration}); the original is dropped`);
      packet.topic = DROPPED;
      packet.retain = false;
      return callback(null);
    }
    const denial = publishDenial(packet.topic);
    if (denial) {
      log(`publish denied: ${who(client)} to '${packet.topic}': ${denial}; acknowledged and dropped, as ThingsPanel does`);
      onDenial('publish');
      packet.topic = DROPPED;
      packet.retain = false;
      return callback(null);
    }
    packet.payload = envelope(device, packet.payload);
    return callback(null);
  }

  /** docs/thingspanel.md#broker-envelope: the envelope, byte-exact base64 of what the device sent. */
  function envelope(device, payload) {
    const original = Buffer.isBuffer(payload) ? payload : Buffer.from(payload ?? '');
    return Buffer.from(JSON.stringify({ device_id: device.device_id, values: original.toString('base64') }));
  }

  const NO_RULES = [];
  const rulesOf = (device, direction) => (device.configuration === undefined ? NO_RULES
    : (registry.configuration(device.configuration)?.topic_mappings ?? NO_RULES).filter((r) => r.enabled && r.direction === direction));

  /** The first up rule (by priority) whose source_topic matches; its target rendered. */
  function mapUp(device, packet) {
    for (const rule of rulesOf(device, 'up')) {
      const m = rule.sourceRx.exec(packet.topic);
      if (!m) continue;
      const vars = { device_number: device.device_number, message_id: m.groups?.message_id ?? nextMessageId() };
      const topic = renderTopic(rule.target_topic.replace(/\+/g, '{message_id}'), vars);
      const denial = publishDenial(topic);
      if (denial) {
        log(`topic mapping: ${rule.at} maps '${packet.topic}' to '${topic}', which a device may not publish (${denial}); dropped`);
        onDenial('publish');
        return { topic: DROPPED, rule };
      }
      return { topic, rule };
    }
    return null;
  }

  /**
   * A platform publish on a standard downlink: also forwarded to the device's
   * custom topic when its configuration has a matching down rule.
   */
  function mapDown(packet) {
    const dn = downlinkDeviceNumber(packet.topic);
    if (dn === null) return;
    const device = registry.byNumber(dn);
    if (!device) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload ?? '');
    let fallback = null;
    for (const rule of rulesOf(device, 'down')) {
      if (!rule.targetRx.test(packet.topic)) continue;
      const vars = { device_number: dn, message_id: packet.topic.split('/').at(-1) };
      const topic = renderTopic(rule.source_topic, vars);
      if (rule.data_identifier !== null) {
        let body;
        try {
          body = JSON.parse(payload.toString('utf8'));
        } catch {
          continue;
        }
        if (body === null || typeof body !== 'object' || body.method !== rule.data_identifier) continue;
        const params = body.params === undefined ? {} : body.params;
        forward(packet, topic, Buffer.from(JSON.stringify(params)), rule, device);
        return;
      }
      fallback ??= { topic, rule };
    }
    if (fallback) forward(packet, fallback.topic, payload, fallback.rule, device);
  }

  function forward(packet, topic, payload, rule, device) {
    aedes.publish({ cmd: 'publish', topic, payload, qos: packet.qos, retain: false, dup: false }, () => {});
    log(`topic mapped: '${packet.topic}' -> '${topic}' for device ${device.device_number} (${rule.at} of configuration ${device.configuration}`
      + `${rule.data_identifier === null ? '' : `, method "${rule.data_identifier}", payload cut to params`})`);
  }

  /** Whether a device may subscribe to `filter` through its down rules (their custom topics). */
  function mappedSubscribe(device, filter) {
    return rulesOf(device, 'down').some((rule) => compileTopicPattern(rule.source_topic, { device_number: device.device_number }).test(filter));
  }

  function authorizeForward(client, packet) {
    return packet.topic === DROPPED ? null : packet;
  }

  function authorizeSubscribe(client, sub, callback) {
    const identity = identities.get(client);
    if (identity?.kind !== 'device') return callback(null, sub);
    const dn = identity.device.device_number;
    const group = subscribeGroups.get(sub);
    if (group === undefined) {
      // Not from a SUBSCRIBE we saw (a restored session): judged alone.
      const denial = mappedSubscribe(identity.device, sub.topic) ? null : subscribeDenial(sub.topic, dn);
      if (denial) {
        log(`subscribe denied: ${who(client)} to '${sub.topic}': ${denial}`);
        onDenial('subscribe');
      }
      return callback(null, denial ? null : sub);
    }
    if (group.denial === undefined) {
      group.denial = mappedSubscribe(identity.device, group.first) ? null : subscribeDenial(group.first, dn);
      if (group.count > 1) {
        log(`SUBSCRIBE with ${group.count} filters from ${who(client)}: only the first, '${group.first}', is checked, `
          + `as the ThingsPanel broker does (docs/thingspanel.md#one-filter-per-subscribe): all ${group.count} are `
          + `${group.denial ? 'refused' : 'granted'}`);
      }
      if (group.denial) log(`subscribe denied: ${who(client)} to '${group.first}': ${group.denial}`);
    }
    if (group.denial) onDenial('subscribe');
    return callback(null, group.denial ? null : sub);
  }

  /** Sees every SUBSCRIBE as one packet (aedes authorizes filter by filter). */
  function watchClient(client) {
    const parser = client._parser;
    if (!parser || typeof parser.prependListener !== 'function') return;
    parser.prependListener('packet', (packet) => {
      if (packet.cmd !== 'subscribe' || !Array.isArray(packet.subscriptions) || packet.subscriptions.length === 0) return;
      const group = { first: packet.subscriptions[0].topic, count: packet.subscriptions.length, denial: undefined };
      for (const sub of packet.subscriptions) subscribeGroups.set(sub, group);
    });
  }

  const publishStatus = (device, word) => {
    // While the broker closes, its subscribers are going too.
    if (aedes.closed) return;
    aedes.publish({ cmd: 'publish', topic: `devices/status/${device.device_id}`, payload: Buffer.from(word), qos: 1, retain: false, dup: false }, () => {});
  };

  function attach(broker) {
    aedes = broker;
    broker.on('clientReady', (client) => {
      const identity = identities.get(client);
      if (identity?.kind !== 'device') return;
      online.add(client);
      connectedEver.add(identity.device);
      onlineCount.set(identity.device, (onlineCount.get(identity.device) ?? 0) + 1);
      publishStatus(identity.device, '1');
      log(`devices/status/${identity.device.device_id} 1: device ${identity.device.device_number} is online`);
    });
    broker.on('clientDisconnect', (client) => {
      const identity = identities.get(client);
      if (identity?.kind !== 'device' || !online.has(client)) return;
      online.delete(client);
      onlineCount.set(identity.device, Math.max(0, (onlineCount.get(identity.device) ?? 1) - 1));
      publishStatus(identity.device, '0');
      log(`devices/status/${identity.device.device_id} 0: device ${identity.device.device_number} went away`);
    });
  }

  return {
    handlers: { preConnect, authenticate, authorizePublish, authorizeSubscribe, authorizeForward },
    attach,
    watchClient,
    identityOf: (client) => identities.get(client),
    connectedEver: (device) => connectedEver.has(device),
    isOnline: (device) => (onlineCount.get(device) ?? 0) > 0,
  };
}
