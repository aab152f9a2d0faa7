// The platform side of the ThingsPanel gateway protocol, written with MQTT.js
// only (no tpgate code), for the emulator tests: it records every uplink,
// acks attribute and event reports the way the ThingsPanel backend does
// (docs/thingspanel.md#ack-topics: devices/... topics; or the spec's gateway/...
// topics), and sends commands, attribute sets/gets and controls, measuring
// each request's round trip.
//
//   const peer = await startPlatformPeer(broker.tcpUrl);
//   const telemetry = await peer.next((m) => m.topic === 'gateway/telemetry');
//   const { response, rttMs } = await peer.command('gw-1', body);
//   await peer.close();
import { connectAsync } from 'mqtt';

let sequence = 0;
/** A message_id: non-empty, no '/', '+' or '#', unique within the run (docs/thingspanel.md#message-id). */
export function messageId() {
  sequence += 1;
  return `${process.pid % 1000}${String(sequence).padStart(6, '0')}`;
}

const decoder = new TextDecoder();

/**
 * @param {string} url the broker (MQTT.js URL: mqtt://host:port)
 * @param {{ackTopics?: 'devices' | 'gateway', ack?: boolean}} [options]
 *   ackTopics: where report acks go (the backend's devices/... or the spec's gateway/...);
 *   ack: false to leave reports unacked.
 */
export async function startPlatformPeer(url, { ackTopics = 'devices', ack = true } = {}) {
  const client = await connectAsync(url, { clientId: `platform-peer-${process.pid}-${sequence++}`, reconnectPeriod: 0 });
  // Nagle's algorithm would hold a request back behind the previous one's
  // PUBACK (40 ms of delayed ACK): round trips would measure TCP, not the gateway.
  client.stream.setNoDelay?.(true);
  const messages = [];
  const waiters = new Set();
  const acksSent = { attributes: 0, events: 0 };
  const pending = new Map(); // response topic -> {resolve, sentAt}
  let current = null; // which gateway the next report belongs to (one gateway per test)

  client.on('message', (topic, payload) => {
    const at = performance.now();
    const text = decoder.decode(payload);
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // kept as text: a test asserting on it fails with the text in view
    }
    const message = { topic, text, json, at };
    messages.push(message);
    const waiting = pending.get(topic);
    if (waiting) {
      pending.delete(topic);
      waiting.resolve({ response: json, text, rttMs: at - waiting.sentAt });
    }
    if (ack && current !== null) {
      const report = /^gateway\/(attributes|event)\/([^/]+)$/.exec(topic);
      if (report) {
        const family = report[1] === 'attributes' ? 'attributes' : 'event';
        const ackTopic = ackTopics === 'devices' ? `devices/${family}/response/${current}/${report[2]}` : `gateway/${family}/response/${current}/${report[2]}`;
        client.publish(ackTopic, JSON.stringify({ result: 0, message: 'success', ts: Math.floor(Date.now() / 1000) }), { qos: 1 });
        acksSent[family === 'attributes' ? 'attributes' : 'events']++;
      }
    }
    for (const w of waiters) {
      if (w.predicate(message)) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(message);
      }
    }
  });
  await client.subscribeAsync('gateway/#', { qos: 1 });

  const send = (topic, body) => client.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });

  // Sends a request and resolves with the response on `responseTopic` (or rejects after timeout ms).
  const request = (topic, responseTopic, body, timeout) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(responseTopic);
        reject(new Error(`no response on ${responseTopic} within ${timeout} ms to ${topic} ${JSON.stringify(body)}`));
      }, timeout);
      pending.set(responseTopic, {
        sentAt: performance.now(),
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
      send(topic, body).catch(reject);
    });

  return {
    client,
    messages,
    acksSent,
    /** The gateway whose reports this peer acks (its device_number). */
    set gateway(dn) {
      current = dn;
    },
    /**
     * The first message from now on matching `predicate` (or, with
     * {past: true}, one already received), rejecting after `timeout` ms.
     */
    next(predicate, { timeout = 15_000, past = false, what = 'a matching message' } = {}) {
      if (past) {
        const found = messages.find(predicate);
        if (found) return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          const topics = messages.slice(-10).map((m) => m.topic).join(', ');
          reject(new Error(`no ${what} within ${timeout} ms (last topics: ${topics || 'none'})`));
        }, timeout);
        waiters.add(w);
      });
    },
    send,
    /** gateway/command/{dn}/{mid} -> gateway/command/response/{mid} */
    command(dn, body, { mid = messageId(), timeout = 10_000 } = {}) {
      return request(`gateway/command/${dn}/${mid}`, `gateway/command/response/${mid}`, body, timeout).then((r) => ({ ...r, mid }));
    },
    /** gateway/attributes/set/{dn}/{mid} -> gateway/attributes/set/response/{mid} */
    attributeSet(dn, body, { mid = messageId(), timeout = 10_000 } = {}) {
      return request(`gateway/attributes/set/${dn}/${mid}`, `gateway/attributes/set/response/${mid}`, body, timeout).then((r) => ({ ...r, mid }));
    },
    close: () => client.endAsync(),
  };
}
