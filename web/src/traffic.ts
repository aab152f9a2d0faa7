// Raw traffic helpers shared by the worker: topic filters, which device a
// topic names, payload text and base64, NDJSON lines.

/**
 * A filter with MQTT wildcards (`+`, `#`) matches like a subscription;
 * anything else is a case-insensitive substring of the topic; '' matches all.
 */
export function topicMatcher(filter: string): (topic: string) => boolean {
  const f = filter.trim();
  if (f === '') return () => true;
  if (f.includes('+') || f.includes('#')) {
    const levels = f.split('/');
    return (topic) => {
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

/**
 * Which device a message is about: the device_number in a downlink or ack
 * topic, the envelope's device_id of an uplink (THINGSPANEL.md difference 8),
 * else `fallback` (the default gateway of a plain broker).
 */
export function deviceOf(topic: string, payload: Uint8Array, fallback: string): string {
  for (const re of DOWNLINK) {
    const m = re.exec(topic);
    if (m) return m[1];
  }
  // {"device_id": ...} starts with '{' (0x7b) and is short to check.
  if (payload.length > 14 && payload[0] === 0x7b) {
    const text = payloadText(payload);
    if (text !== null && text.includes('"device_id"')) {
      try {
        const value: unknown = JSON.parse(text);
        if (value !== null && typeof value === 'object' && typeof (value as { device_id?: unknown }).device_id === 'string') {
          return (value as { device_id: string }).device_id;
        }
      } catch {
        /* not JSON: no envelope */
      }
    }
  }
  return fallback;
}

export interface RawMessage {
  seq: number;
  ts: number;
  direction: 'in' | 'out';
  topic: string;
  payload: Uint8Array;
}

/** One NDJSON line: ts (ms since the epoch), direction, topic, device, payload (text) or payloadBase64. */
export function ndjsonLine(m: RawMessage, fallbackDevice: string): string {
  const text = payloadText(m.payload);
  const record: Record<string, unknown> = {
    ts: m.ts,
    direction: m.direction,
    topic: m.topic,
    device: deviceOf(m.topic, m.payload, fallbackDevice),
  };
  if (text !== null) record.payload = text;
  else record.payloadBase64 = base64(m.payload);
  return JSON.stringify(record);
}
