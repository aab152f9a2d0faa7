// Runs in the browser page (client.html): the tpgate client API used exactly
// as an application would, through the import map's 'tpgate'. The test calls
// these functions with page.evaluate and checks the plain results in Node.
// Payloads cross the page boundary as hex, so Node compares real bytes.
import * as tpgate from 'tpgate';

const { connect } = tpgate;

export function log(text, failed = false) {
  console.log(`${performance.now().toFixed(0)} ms: ${text}`);
  const item = document.createElement('li');
  item.textContent = text;
  if (failed) item.className = 'fail';
  document.getElementById('log').append(item);
}

function nodeGlobals() {
  return {
    process: typeof globalThis.process,
    Buffer: typeof globalThis.Buffer,
    global: typeof globalThis.global,
    require: typeof globalThis.require,
  };
}

export function describeLoad() {
  const exports = Object.keys(tpgate).sort();
  log(`tpgate loaded: ${exports.join(', ')}`);
  return { exports, globalsBeforeLoad: window.globalsBeforeLoad, globalsAfterLoad: nodeGlobals() };
}

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function fromHex(text) {
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

// { text } stays a string (the client encodes it as UTF-8); { hex } becomes a Uint8Array.
const payloadOf = (p) => ('text' in p ? p.text : fromHex(p.hex));

function describeMessage(topic, payload, packet) {
  return {
    topic,
    payloadIsUint8Array: payload instanceof Uint8Array,
    payloadHex: toHex(payload),
    packetTopic: packet.topic,
    packetPayloadHex: packet.payload instanceof Uint8Array ? toHex(packet.payload) : null,
    qos: packet.qos,
    retain: packet.retain,
    dup: packet.dup,
    userProperties: packet.properties?.userProperties ?? null,
  };
}

// instanceof guarded, so a missing export shows as false, not as a TypeError.
const isA = (err, cls) => typeof cls === 'function' && err instanceof cls;

function describeError(err) {
  return {
    name: err?.constructor?.name,
    message: String(err?.message ?? err),
    code: err?.code,
    option: err?.option,
    isTpgateError: isA(err, tpgate.TpgateError),
    isInvalidOption: isA(err, tpgate.InvalidOptionError),
    isClientClosed: isA(err, tpgate.ClientClosedError),
  };
}

// Resolves once `count()` reaches n; `check` is called whenever it may have.
function countdown(n, count) {
  let resolve;
  const reached = new Promise((r) => (resolve = r));
  const check = () => {
    if (count() >= n) resolve();
  };
  check();
  return { reached, check };
}

/**
 * One client in the page: connect, subscribe `${base}/#` at QoS 2, publish
 * every entry of `sends` to `${base}/${name}` and receive each back through
 * the 'message' event and the messages() iterator, unsubscribe, end.
 */
export async function roundTrip(url, { protocolVersion, clientId, base, sends }) {
  const client = await connect(url, { protocolVersion, clientId, keepalive: 30, reconnect: false });
  log(`connected to ${url} as ${client.clientId}, MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}`);
  const connectedBefore = client.connected;
  const events = [];
  for (const name of ['connect', 'reconnect', 'offline', 'close', 'error']) {
    client.on(name, (arg) => events.push(arg?.code ? `${name}:${arg.code}` : name));
  }

  const viaEvent = [];
  const eventsDone = countdown(sends.length, () => viaEvent.length);
  client.on('message', (topic, payload, packet) => {
    viaEvent.push(describeMessage(topic, payload, packet));
    eventsDone.check();
  });

  const viaIterator = [];
  const iteratorDone = countdown(sends.length, () => viaIterator.length);
  const iterating = (async () => {
    for await (const m of client.messages(`${base}/#`)) {
      viaIterator.push(describeMessage(m.topic, m.payload, m));
      iteratorDone.check();
    }
    return 'ended';
  })();

  const granted = await client.subscribe(`${base}/#`, { qos: 2 });
  log(`subscribed to ${base}/#: granted ${JSON.stringify(granted)}`);

  const published = [];
  for (const send of sends) {
    const result = await client.publish(`${base}/${send.name}`, payloadOf(send.payload), {
      qos: send.qos,
      ...(send.properties ? { properties: send.properties } : {}),
    });
    published.push({ name: send.name, qos: result.qos, packetId: result.packetId, reasonCode: result.reasonCode });
    log(`published ${send.name} at QoS ${send.qos}: ${JSON.stringify(result)}`);
  }

  await eventsDone.reached;
  await iteratorDone.reached;
  log(`received ${viaEvent.length} messages by event, ${viaIterator.length} by messages()`);

  await client.unsubscribe(`${base}/#`);
  await client.end();
  const iteratorEnd = await iterating;
  log(`ended; messages() ${iteratorEnd}`);

  let publishAfterEnd;
  try {
    await client.publish(`${base}/late`, 'too late', { qos: 1 });
    publishAfterEnd = 'resolved';
  } catch (err) {
    publishAfterEnd = describeError(err);
  }

  return {
    clientId: client.clientId,
    protocolVersion: client.protocolVersion,
    connectedBefore,
    connectedAfter: client.connected,
    granted,
    published,
    viaEvent,
    viaIterator,
    iteratorEnd,
    events,
    publishAfterEnd,
    globalsAfter: nodeGlobals(),
  };
}

// --- one client driven step by step (the cross checks with a Node client) ----

const open = new Map();

export async function openClient(url, options) {
  const client = await connect(url, { keepalive: 30, reconnect: false, ...options });
  const entry = { client, inbox: [], events: [], waiters: [] };
  const wake = () => {
    for (const w of entry.waiters) w.check();
  };
  client.on('message', (topic, payload, packet) => {
    entry.inbox.push(describeMessage(topic, payload, packet));
    wake();
  });
  for (const name of ['connect', 'reconnect', 'offline', 'close', 'error']) {
    client.on(name, (arg) => {
      entry.events.push({ name, code: arg?.code ?? null, sessionPresent: arg?.sessionPresent ?? null });
      log(`${client.clientId}: ${name}${arg?.code ? ` ${arg.code}` : ''}`);
      wake();
    });
  }
  open.set(client.clientId, entry);
  log(`connected ${client.clientId}, MQTT ${client.protocolVersion === 5 ? '5' : '3.1.1'}`);
  return client.clientId;
}

export async function subscribe(clientId, filter, options) {
  const granted = await open.get(clientId).client.subscribe(filter, options);
  log(`${clientId} subscribed to ${filter}: ${JSON.stringify(granted)}`);
  return granted;
}

export async function publish(clientId, topic, payload, options) {
  const result = await open.get(clientId).client.publish(topic, payloadOf(payload), options);
  log(`${clientId} published to ${topic} at QoS ${options?.qos ?? 0}`);
  return { qos: result.qos, packetId: result.packetId, reasonCode: result.reasonCode };
}

/** The first `count` messages the client received (waits for them). */
export async function received(clientId, count) {
  const entry = open.get(clientId);
  const waiter = countdown(count, () => entry.inbox.length);
  entry.waiters.push(waiter);
  await waiter.reached;
  entry.waiters.splice(entry.waiters.indexOf(waiter), 1);
  log(`${clientId} received ${entry.inbox.length} messages`);
  return entry.inbox.slice(0, count);
}

// Whether `names` occur in `events` in this order (others may come between).
function inOrder(events, names) {
  let next = 0;
  for (const e of events) if (next < names.length && e.name === names[next]) next++;
  return next === names.length;
}

/** The client's events since it connected, once they contain `names` in that order (waits for them). */
export async function eventsUntil(clientId, names) {
  const entry = open.get(clientId);
  const waiter = countdown(1, () => (inOrder(entry.events, names) ? 1 : 0));
  entry.waiters.push(waiter);
  await waiter.reached;
  entry.waiters.splice(entry.waiters.indexOf(waiter), 1);
  return { events: entry.events.slice(), connected: entry.client.connected };
}

/** How connect() to `url` fails; 'resolved' if it wrongly connects. */
export async function connectFailure(url, options) {
  try {
    const client = await connect(url, options);
    await client.end();
    return 'resolved';
  } catch (err) {
    log(`connect to ${url} failed: ${err.message}`);
    return describeError(err);
  }
}

export async function endClient(clientId) {
  const { client } = open.get(clientId);
  open.delete(clientId);
  await client.end();
  log(`${clientId} ended`);
  return client.connected;
}

// --- bad input ------------------------------------------------------------------

/** Each bad call's error, described; 'resolved' where one wrongly succeeded. */
export async function badOptions(url) {
  const outcome = async (what, call) => {
    try {
      await call();
      log(`${what}: resolved, but should have been refused`, true);
      return 'resolved';
    } catch (err) {
      log(`${what}: ${err.message}`);
      return describeError(err);
    }
  };
  const results = {};
  results.scheme = await outcome('http:// URL', () => connect(url.replace(/^ws:/, 'http:'), { reconnect: false }));
  results.protocolVersion = await outcome('protocolVersion 6', () =>
    connect(url, { protocolVersion: 6, reconnect: false }),
  );
  const client = await connect(url, { reconnect: false });
  results.publishQos3 = await outcome('publish at QoS 3', () => client.publish('tpgate/e2e/bad', 'x', { qos: 3 }));
  results.publishWildcard = await outcome('publish to a wildcard topic', () => client.publish('tpgate/+/bad', 'x'));
  results.subscribeBadFilter = await outcome('subscribe to a/#/b', () => client.subscribe('tpgate/#/bad'));
  // The bad calls must not have hurt the connection.
  results.stillConnected = client.connected;
  const good = await client.publish('tpgate/e2e/good', 'fine', { qos: 1 });
  results.goodPublish = { qos: good.qos, reasonCode: good.reasonCode };
  log(`a good publish afterwards: ${JSON.stringify(good)}`);
  await client.end();
  return results;
}
