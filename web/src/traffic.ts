// Raw traffic helpers shared by the worker: topic filters, which device a
// topic names, payload text and base64, NDJSON lines.
import { topicMatcher as subscriptionMatcher } from 'tpgate';

/**
 * A filter with MQTT wildcards (`+`, `#`) matches like a subscription (the
 * package's topicMatcher, as messages() matches); anything else is a
 * case-insensitive substring of the topic; '' matches all.
 */
export function topicMatcher(filter: string): (topic: string) => boolean {
  const f = filter.trim();
  if (f === '') return () => true;
  if (f.includes('+') || f.includes('#')) return subscriptionMatcher(f);
  const needle = f.toLowerCase();
  return (topic) => topic.toLowerCase().includes(needle);
}

// Downlinks and acks name the gateway's device_number in a fixed level.
const DOWNLINK = [
  /^gateway\/command\/(?!response\/)([^/]+)\/[^/]+$/,
  /^gateway\/attributes\/set\/(?!response\/)([^/]+)\/[^/]+$/,
  /^gateway\/attributes\/get\/([^/]+)$/,
  /^gateway\/telemetry\/control\/([^/]+)$/,
  /^(?:gateway|devices)\/(?:attributes|event)\/response\/([^/]+)\/[^/]+$/,
  /^devices\/status\/([^/]+)$/,
];

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** The payload as text, or null when it is not valid UTF-8. */
export function payloadText(payload: Uint8Array): string | null {
  try {
    return utf8.decode(payload);
  } catch {
    return null;
  }
}

export function previewText(payload: Uint8Array, max: number): string {
  const head = payload.length > max * 4 ? payload.subarray(0, max * 4) : payload;
  const text = lenient.decode(head);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The broker's envelope {"device_id","values":base64} (docs/thingspanel.md#broker-envelope), or null. */
export function envelopeOf(payload: Uint8Array): { deviceId: string; values: string } | null {
  // {"device_id": ...} starts with '{' (0x7b); cheap checks first.
  if (payload.length < 15 || payload[0] !== 0x7b) return null;
  const text = payloadText(payload);
  if (text === null || !text.includes('"device_id"')) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object') return null;
    const { device_id: deviceId, values } = value as { device_id?: unknown; values?: unknown };
    return typeof deviceId === 'string' && typeof values === 'string' ? { deviceId, values } : null;
  } catch {
    return null;
  }
}

export function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Who a message is about and what it says: the device_number in a downlink
 * or ack topic, else the envelope's device_id (shown as its device_number
 * when `numbers` knows it), else `fallback` (the default gateway of a plain
 * broker). The preview of an enveloped message is the device's own payload.
 */
export function describe(
  topic: string,
  payload: Uint8Array,
  fallback: string,
  numbers: Record<string, string> | undefined,
  previewChars: number,
): { device: string; deviceId?: string; preview: string } {
  for (const re of DOWNLINK) {
    const m = re.exec(topic);
    if (m) {
      const device = topic.startsWith('devices/status/') ? (numbers?.[m[1]] ?? m[1]) : m[1];
      return { device, preview: previewText(payload, previewChars) };
    }
  }
  const envelope = envelopeOf(payload);
  if (envelope) {
    const inner = fromBase64(envelope.values);
    return {
      device: numbers?.[envelope.deviceId] ?? envelope.deviceId,
      deviceId: envelope.deviceId,
      preview: inner ? `⟨${envelope.deviceId.slice(0, 8)}…⟩ ${previewText(inner, previewChars)}` : previewText(payload, previewChars),
    };
  }
  return { device: fallback, preview: previewText(payload, previewChars) };
}

export interface RawMessage {
  seq: number;
  ts: number;
  direction: 'in' | 'out';
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
}

/**
 * One NDJSON line: ts (ms since the epoch), direction, topic, device (the
 * device_number when known), deviceId (an envelope's device_id, when there is
 * one), and payload (the text as on the wire) or payloadBase64 (not UTF-8).
 */
export function ndjsonLine(m: RawMessage, fallbackDevice: string, numbers: Record<string, string> | undefined): string {
  const text = payloadText(m.payload);
  const about = describe(m.topic, m.payload, fallbackDevice, numbers, 0);
  const record: Record<string, unknown> = { ts: m.ts, direction: m.direction, topic: m.topic, device: about.device };
  if (about.deviceId !== undefined) record.deviceId = about.deviceId;
  if (text !== null) record.payload = text;
  else record.payloadBase64 = base64(m.payload);
  return JSON.stringify(record);
}
