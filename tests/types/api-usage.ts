// Uses the whole typed API of 'tpgate' as a user's TypeScript project would.
// Only type-checked (`tsc -p tests/types`, a stage of `npm test`), never run.
// The @ts-expect-error lines check that misuse is caught at compile time too:
// tsc fails if any of them stops being an error.
import { connect, fileStore, indexedDbStore, memoryStore, loadTpgate, StoreError, type RestoredSession, type SessionStore, ClientClosedError, ConnectionRefusedError, InvalidOptionError, ProtocolError, TpgateError, topicMatcher } from 'tpgate';
import { loadTpgateCodec, type CodecModule } from 'tpgate/codec';
import type { BytesLike, ClientEvents, ClientOptions, ClientSession, ConnackInfo, Decoder, ErrorInfo, Failure, Granted, LoadOptions, Message, MqttClient, Outcome, Packet, Properties, ProtocolVersion, PublishOptions, PublishResult, QoS, ReceivedPublish, SessionEvent, SessionOptions, SessionOutput, SessionState, SubscribeOptions, Subscription, TpgateErrorCode, TpgateModule } from 'tpgate';

// --- the client -----------------------------------------------------------------

const properties: Properties = {
  sessionExpiryInterval: 3600,
  receiveMaximum: 100,
  maximumPacketSize: 1 << 20,
  topicAliasMaximum: 10,
  requestResponseInformation: 1,
  requestProblemInformation: 1,
  userProperties: [
    ['site', 'north'],
    ['site', 'south'],
  ],
};

const options: ClientOptions = {
  clientId: 'typed-client',
  username: 'user',
  password: new Uint8Array([1, 2, 3]),
  protocolVersion: 5,
  keepalive: 30,
  clean: false,
  sessionExpiryInterval: 600,
  will: {
    topic: 'status/typed-client',
    payload: 'offline',
    qos: 1,
    retain: true,
    properties: { willDelayInterval: 5, contentType: 'text/plain' },
  },
  properties,
  reconnect: { minDelay: 500, maxDelay: 30_000 },
  connectTimeout: 10_000,
  maxQueued: 1000,
  topicAliases: true,
  resubscribe: true,
  wsProtocols: ['mqtt'],
  tls: { rejectUnauthorized: false },
  locateFile: (file: string) => new URL(file, 'https://cdn.example/tpgate/'),
};
const noReconnect: ClientOptions = { reconnect: false, password: 'secret', protocolVersion: 4 };
const fromBytes: LoadOptions = { wasmBinary: new ArrayBuffer(8) };

async function useClient(): Promise<void> {
  const client: MqttClient = await connect('ws://127.0.0.1:8083/mqtt', options);
  const other = await connect('mqtts://broker.example:8883', { ...noReconnect, ...fromBytes });
  const id: string = client.clientId;
  const up: boolean = client.connected;
  const version: ProtocolVersion = client.protocolVersion;
  console.log(id, up, version);

  // Events: the listener types follow the event name; on/once/off chain.
  client
    .on('connect', (connack: ConnackInfo) => {
      const present: boolean = connack.sessionPresent;
      const reason: number = connack.reasonCode;
      const props: Properties = connack.properties;
      console.log(present, reason, props.assignedClientIdentifier);
    })
    .on('reconnect', () => console.log('reconnecting'))
    .on('offline', (err: TpgateError) => console.log(err.code))
    .on('close', () => console.log('closed'))
    .once('error', (err) => {
      const code: TpgateErrorCode = err.code;
      const reasonCode: number | undefined = err.reasonCode;
      console.log(code, reasonCode, err.message);
    });
  const onMessage: ClientEvents['message'] = (topic, payload, packet) => {
    const t: string = topic;
    const bytes: Uint8Array = payload;
    const m: Message = packet;
    const qos: QoS = m.qos;
    const flags: boolean[] = [m.retain, m.dup];
    const correlation: BytesLike | undefined = m.properties.correlationData;
    console.log(t, bytes.byteLength, qos, flags, correlation, m.properties.responseTopic);
  };
  client.on('message', onMessage);
  client.off('message', onMessage);

  // @ts-expect-error: no such event
  client.on('messages', () => {});
  // @ts-expect-error: 'message' listeners get (topic, payload, packet), payload is not a string
  client.on('message', (topic: string, payload: string) => console.log(topic, payload));

  // Subscribe: one filter, several, or a map of filter to options.
  const subOptions: SubscribeOptions = {
    qos: 2,
    noLocal: true,
    retainAsPublished: true,
    retainHandling: 1,
    properties: { subscriptionIdentifiers: [7], userProperties: [['k', 'v']] },
  };
  const granted: Granted[] = await client.subscribe('sensors/+', { qos: 1 });
  const grantedQos: number = granted[0]!.qos;
  const grantedTopic: string = granted[0]!.topic;
  await client.subscribe(['a/#', 'b/+/c'], subOptions);
  await client.subscribe({ 'x/#': { qos: 0 }, 'y/#': subOptions });
  console.log(grantedQos, grantedTopic);

  // Publish: text or bytes, with options and v5 properties.
  const publishOptions: PublishOptions = {
    qos: 1,
    retain: false,
    properties: {
      messageExpiryInterval: 60,
      payloadFormatIndicator: 1,
      contentType: 'application/json',
      responseTopic: 'replies/typed-client',
      correlationData: new Uint8Array([0xca, 0xfe]),
      userProperties: [['trace', 'abc']],
      topicAlias: 1,
    },
  };
  const result: PublishResult = await client.publish('sensors/a', '{"t":21.5}', publishOptions);
  // The MQTT.js shape of user properties is accepted on the way out; received ones are pairs.
  await client.publish('sensors/a', 'x', { properties: { userProperties: { k: 'v', tags: ['a', 'b'] } } });
  const receivedPairs: [string, string][] | undefined = result.properties.userProperties;
  console.log(receivedPairs);
  const sent: [QoS, number, number, Properties] = [result.qos, result.packetId, result.reasonCode, result.properties];
  console.log(sent);
  await client.publish('sensors/b', new Uint8Array([1, 2, 3]));
  await client.publish('sensors/c', new TextEncoder().encode('x'), { qos: 2, retain: true });

  // @ts-expect-error: QoS 3 does not exist
  await client.publish('sensors/a', 'x', { qos: 3 });
  // @ts-expect-error: payloads are strings or Uint8Array, not numbers
  await client.publish('sensors/a', 42);
  // @ts-expect-error: retainHandling is 0, 1 or 2
  await client.subscribe('a', { retainHandling: 3 });

  // Async iteration over matching messages; ends when the client ends.
  const iterator: AsyncIterableIterator<Message> = client.messages('sensors/#');
  for await (const m of iterator) {
    console.log(m.topic, m.payload.byteLength);
    break;
  }
  for await (const m of client.messages()) {
    console.log(m.topic);
    break;
  }

  // The same matching without a client: a predicate over topics.
  const sensors: (topic: string) => boolean = topicMatcher('sensors/+');
  console.log(sensors('sensors/a'));
  // @ts-expect-error: one filter, not a list
  topicMatcher(['a', 'b']);

  await client.unsubscribe('sensors/+');
  await client.unsubscribe(['a/#', 'b/+/c'], { properties: { userProperties: [['why', 'done']] } });

  await client.end();
  await other.end(true);
  const ended: Promise<void> = client.end();
  await ended;
}

// Errors: classes to test with instanceof, codes to switch on.
async function handleErrors(): Promise<string> {
  try {
    await connect('ws://127.0.0.1:1/mqtt', { protocolVersion: 5 });
    return 'connected';
  } catch (err) {
    if (err instanceof InvalidOptionError) {
      const option: string | undefined = err.option;
      return `bad option ${option}`;
    }
    if (err instanceof ConnectionRefusedError) return `refused 0x${(err.reasonCode ?? 0).toString(16)}`;
    if (err instanceof ProtocolError) return `protocol ${err.reasonCode}`;
    if (err instanceof ClientClosedError) return 'closed';
    if (err instanceof TpgateError) {
      switch (err.code) {
        case 'ERR_CONNECT_FAILED':
        case 'ERR_TRANSPORT':
        case 'ERR_KEEPALIVE_TIMEOUT':
        case 'ERR_SERVER_DISCONNECT':
          return 'network';
        case 'ERR_QUEUE_FULL':
        case 'ERR_PACKET_TOO_LARGE':
        case 'ERR_NOT_SUPPORTED':
        case 'ERR_PUBLISH_FAILED':
        case 'ERR_SUBSCRIBE_FAILED':
        case 'ERR_WASM_LOAD':
        case 'ERR_INVALID_OPTION':
        case 'ERR_CONNECTION_REFUSED':
        case 'ERR_CLIENT_CLOSED':
        case 'ERR_PROTOCOL':
        case 'ERR_TIMEOUT':
        case 'ERR_REPORT_REFUSED':
        case 'ERR_GATEWAY':
        case 'ERR_GATEWAY_INPUT':
        case 'ERR_REQUEST_FAILED':
        case 'ERR_BAD_MESSAGE':
        case 'ERR_INVALID_SCENARIO':
        case 'ERR_SCRIPT':
        case 'ERR_EMULATOR_STARTED':
        case 'ERR_EMULATOR_STOPPED':
        case 'ERR_STORE_CORRUPT':
        case 'ERR_STORE_VERSION':
        case 'ERR_STORE_MISMATCH':
        case 'ERR_STORE_LOCKED':
        case 'ERR_STORE_READ':
        case 'ERR_STORE_WRITE':
          return err.code;
        default: {
          // Every code is handled above: a new one would make this a compile error.
          const unhandled: never = err.code;
          return unhandled;
        }
      }
    }
    throw err;
  }
}

const errorIsError: Error = new TpgateError();
// @ts-expect-error: codes are a closed set
const badCode: TpgateErrorCode = 'ERR_SOMETHING_ELSE';
console.log(errorIsError, badCode);

// --- the raw wasm module ----------------------------------------------------------

function drain(session: ClientSession): void {
  const out: SessionOutput = session.takeOutput();
  const write: Uint8Array = out.bytes;
  const flags: boolean[] = [out.openTransport, out.closeTransport, session.hasOutput()];
  const deadline: number = out.deadline === session.deadline() ? out.deadline : -1;
  console.log(write.byteLength, flags, deadline);
  for (const event of out.events) describeEvent(event);
}

function describeEvent(event: SessionEvent): string {
  switch (event.type) {
    case 'connected':
      return `connected ${event.sessionPresent} ${event.connack.reasonCode}`;
    case 'message': {
      const publish: ReceivedPublish = event.publish;
      return `message ${publish.topic} ${publish.payload.byteLength} ${publish.packetId}`;
    }
    case 'publishComplete':
      return `publish ${event.token} ${event.qos} ${event.reasonCode}`;
    case 'subscribeComplete':
      return `suback ${event.token} ${event.suback.reasonCodes.join(',')}`;
    case 'unsubscribeComplete':
      return `unsuback ${event.token} ${event.unsuback.reasonCodes.join(',')}`;
    case 'operationFailed':
      return `failed ${event.token} ${event.error.reason}`;
    case 'disconnected':
      return `disconnected ${event.byServer} ${event.error.code} ${event.reconnectAt ?? 'no reconnect'}`;
    case 'auth':
      return `auth ${event.auth.reasonCode}`;
    case 'error': {
      const info: ErrorInfo = event.error;
      return `error ${info.code} ${info.reason}: ${info.message}`;
    }
  }
}

async function useRawModule(): Promise<void> {
  const tpgate: TpgateModule = await loadTpgate({ locateFile: (file) => `/static/${file}` });
  const again: Promise<TpgateModule> = loadTpgate();
  console.log(await again === tpgate);

  const sessionOptions: SessionOptions = {
    version: 5,
    clientId: 'raw',
    cleanStart: true,
    keepAlive: 30,
    username: 'u',
    password: 'p',
    will: { topic: 'w', payload: new Uint8Array(1), qos: 0, retain: false },
    properties: { sessionExpiryInterval: 0 },
    maxQueued: 100,
    connectTimeout: 5000,
    pingTimeout: 5000,
    reconnect: { enabled: true, minDelay: 100, maxDelay: 1000 },
    randomSeed: 1,
    autoTopicAlias: true,
    resubscribe: true,
  };
  const session: ClientSession = new tpgate.ClientSession(sessionOptions);
  try {
    const refused: Failure | null = session.optionsError();
    if (refused) throw new Error(refused.message);
    const now = 0;
    session.start(now);
    drain(session);
    session.transportOpen(now);
    const received: Outcome = session.receive(new Uint8Array([0x20, 3, 0, 0, 0]), now);
    if (!received.ok) console.log(received.code, received.reason);
    session.tick(now + 1000);

    const published = session.publish({ topic: 't', payload: 'x', qos: 1, retain: false, properties: {} }, now);
    if (published.ok) {
      const token: number = published.token;
      console.log(token);
    } else {
      const failure: Failure = published;
      console.log(failure.message);
    }
    const subscription: Subscription = { filter: 'a/+', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 };
    session.subscribe([subscription, 'b/#'], undefined, now);
    session.unsubscribe(['a/+'], { userProperties: [['k', 'v']] }, now);
    session.auth({ reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM' } }, now);
    session.disconnect(now, { reasonCode: 0 });
    session.disconnect(now, undefined);
    session.transportClosed(now, 'socket closed');
    session.transportClosed(now, undefined);
    const state: SessionState = session.state();
    const counts: number[] = [session.inflightCount(), session.queuedCount()];
    console.log(state, counts);
    drain(session);
  } finally {
    session.delete();
  }

  const codec: CodecModule = await loadTpgateCodec();
  const decoder: Decoder = new codec.Decoder({ version: 5, role: 'client', maxPacketSize: 1 << 16 });
  try {
    if (decoder.optionsError() === null) {
      const fed = decoder.feed(new Uint8Array([0xd0, 0]));
      const packets: Packet[] = fed.packets;
      for (const packet of packets) {
        if (packet.type === 'publish') console.log(packet.topic, packet.qos);
      }
      if (!fed.ok) console.log(fed.code);
      console.log(decoder.buffered());
      decoder.reset();
    }
  } finally {
    decoder.delete();
  }

  const encoded = codec.encodePacket({ type: 'publish', topic: 'a', payload: 'x', qos: 0 }, 4);
  if (encoded.ok) {
    const bytes: Uint8Array = encoded.bytes;
    console.log(bytes);
  }
  codec.encodePacket({ type: 'subscribe', packetId: 1, subscriptions: ['a', { filter: 'b', qos: 2 }] }, 5);
  codec.encodePacket({ type: 'pingreq' }, 5);
  // @ts-expect-error: there is no MQTT 6
  codec.encodePacket({ type: 'pingreq' }, 6);
  // @ts-expect-error: no such packet type
  codec.encodePacket({ type: 'ping' }, 5);
}

export { useClient, handleErrors, useRawModule };

// The gateway client (connectGateway).
import { connectGateway, type GatewayTarget, type ReportAck } from 'tpgate/gateway';

async function gatewayUsage(): Promise<ReportAck> {
  const gw = await connectGateway('mqtt://127.0.0.1:1883', { deviceNumber: 'dn-1', ackTimeout: 5000, username: 'v' });
  gw.onCommand(async ({ target, method, params, messageId }) => ({ path: target.path, method, params, messageId }));
  gw.onAttributeSet(({ values }) => values);
  gw.onAttributeGet(({ target, keys }: { target: GatewayTarget; keys: string[] }) => ({ [target.name]: keys.length }));
  gw.onControl(null);
  gw.on('error', (err) => err.code === 'ERR_GATEWAY_INPUT').on('warning', (message: string) => message.length);
  await gw.reportTelemetry({ gateway: { t: 1 }, subGateways: { g1: { subDevices: { s1: { h: 2 } } } } });
  await gw.reportTelemetry({ gateway_data: { t: 1 } });
  const ack = await gw.reportAttributes({ gateway: { ip: '10.0.0.2' } });
  const family: 'devices' | 'gateway' = ack.family;
  await gw.end();
  return { ...ack, family };
}
void gatewayUsage;

// The platform client (connectPlatform).
import { connectPlatform, type PlatformRequestError, type RequestResult, type TelemetryEvent } from 'tpgate/platform';

export async function platformUsage(): Promise<number> {
  const pf = await connectPlatform('mqtt://127.0.0.1:1883', { defaultGateway: 'gw-1', requestTimeout: 5000, ackTopics: 'both' });
  pf.on('telemetry', ({ gateway, target, values, ts }: TelemetryEvent) => console.log(gateway, target.name, target.path.length, values, ts));
  pf.on('status', ({ deviceId, online }) => console.log(deviceId, online));
  pf.on('error', (err) => console.log(err.code, err.topic));
  let rtt = 0;
  try {
    const { result, response, rttMs }: RequestResult = await pf.sendCommand('gw-1', ['gateway_001', 'sensor_101'], 'Calibrate', { offset: 0.5 });
    rtt = result + rttMs + response.ts;
  } catch (err) {
    const failed = err as PlatformRequestError;
    if (failed.code === 'ERR_REQUEST_FAILED') console.log(failed.errcode, failed.response?.message);
  }
  await pf.sendAttributeSet('gw-1', { subGateways: ['gateway_001'] }, { interval: 30 });
  await pf.sendAttributeGet('gw-1', [], ['ip'], { shape: 'keys' });
  await pf.sendControl('gw-1', [], { switch: false });
  const view = pf.device('gw-1', ['gateway_001', 'sensor_101']);
  console.log(view?.telemetry['temperature']?.value, pf.online('gw-1'));
  // @ts-expect-error: ackTopics is one of three words
  await connectPlatform('mqtt://127.0.0.1:1883', { ackTopics: 'nowhere' });
  await pf.end();
  return rtt;
}

// The emulator (createEmulator, parseScenario).
import { ScenarioError } from 'tpgate';
import { createEmulator, parseScenario, loadTpgateEmulator, type Emulator, type EmulatorOptions, type EmulatorStats, type EmulatedGateway } from 'tpgate/emulator';

export async function emulatorUsage(): Promise<number> {
  await loadTpgateEmulator({ locateFile: (file) => `/static/${file}` });
  const options: EmulatorOptions = { url: 'mqtt://127.0.0.1:1883', gateways: 1000, shard: '1/2', seed: 7, connectConcurrency: 200, events: true };
  let emu: Emulator;
  try {
    emu = await createEmulator({ gateway: { telemetry: { t: { type: 'sine', min: 0, max: 1, period_s: 60 } } } }, options);
  } catch (err) {
    if (err instanceof ScenarioError) console.log(err.path, err.expected, err.code);
    throw err;
  }
  emu.on('error', (err) => console.log(err.code, err.message));
  emu.on('event', (event) => console.log(event));
  emu.on('stopped', (final: EmulatorStats) => console.log(final.forced_closes));
  await emu.start();
  await emu.waitConnected(emu.size, { timeout: 30_000 });
  const info: EmulatedGateway = emu.gateway(0);
  const s: EmulatorStats = emu.stats();
  const p99: number | null = s.ack_p99_ms;
  const normalized = await parseScenario('{"seed": 2}');
  console.log(info.device_number, info.password ?? 'no password', p99, normalized['seed'], emu.status);
  // @ts-expect-error: transport is 'ws' or 'tcp'
  await createEmulator(undefined, { transport: 'udp' });
  // @ts-expect-error: shard is 'k/n' or {index, count}
  await createEmulator(undefined, { shard: 2 });
  const final = await emu.stop();
  return final.messages_per_s + s.connected;
}

// Each subpath's loader and classes, and the error classes every entry re-exports (one class, so
// `instanceof` works whichever entry an app imported it from).
import { loadTpgateGateway, TpgateError as GatewayTpgateError, type GatewayClient, type GatewayOptions } from 'tpgate/gateway';
import { loadTpgatePlatform, PlatformClient, TpgateError as PlatformTpgateError, type PlatformOptions } from 'tpgate/platform';
import { TpgateError as EmulatorTpgateError, ScenarioError as EmulatorScenarioError } from 'tpgate/emulator';

export async function subpathUsage(gw: GatewayClient, pf: unknown): Promise<boolean> {
  const gatewayModule: TpgateModule = await loadTpgateGateway({ wasmBinary: new Uint8Array(8) });
  const platformModule: TpgateModule = await loadTpgatePlatform({ locateFile: (file) => `/static/${file}` });
  const samePlatformClass: typeof TpgateError = PlatformTpgateError;
  const gatewayOptions: GatewayOptions = { deviceNumber: 'dn-1', gatewayQos: 0, maxDepth: 8, locateFile: (file) => `/static/${file}` };
  const platformOptions: PlatformOptions = { shareGroup: 'platforms', autoAck: false, maxRecentEvents: 4 };
  // @ts-expect-error: deviceNumber is required
  const noDeviceNumber: GatewayOptions = { username: 'voucher' };
  const sameClass: typeof TpgateError = GatewayTpgateError;
  const sameEmulatorClass: typeof TpgateError = EmulatorTpgateError;
  const sameScenarioError: typeof ScenarioError = EmulatorScenarioError;
  console.log(gatewayModule.ClientSession, platformModule.ClientSession, samePlatformClass, gatewayOptions, platformOptions, noDeviceNumber, sameClass, sameEmulatorClass, sameScenarioError);
  const subscriptions: string[] = [...gw.subscriptions];
  return pf instanceof PlatformClient && subscriptions.length > 0;
}

// Data scripts: compile once, run, the error's fields; a platform client's scripts.
import { compileScript, ScriptError, scriptInput, SCRIPT_TYPES, type DataScript, type ScriptType } from 'tpgate/platform';

export async function dataScripts(platform: PlatformClient): Promise<string> {
  const script: DataScript = await compileScript('function encodeInp(msg, topic) return msg end', { name: 'up.lua', instructions: 1e6 });
  try {
    const { output, text } = script.run(scriptInput('0x0102'), '');
    const bytes: Uint8Array = output;
    const type: ScriptType = SCRIPT_TYPES[0];
    platform.setScript('custom-gw', type, 'function encodeInp(m) return m end');
    platform.setScript('custom-gw', 'command_down', null);
    platform.assignConfiguration('gw-1', 'custom-gw');
    platform.applyConfigurations({ configurations: [{ id: 'c', scripts: { telemetry_up: { content: 'x', enabled: false } } }] });
    return `${bytes.length}${text}`;
  } catch (err) {
    if (err instanceof ScriptError) {
      const kind: 'syntax' | 'runtime' | 'no-function' | 'bad-result' | 'budget' | 'memory' | 'argument' = err.kind;
      return `${kind}:${err.line}:${err.luaMessage}:${err.scriptType ?? ''}`;
    }
    throw err;
  } finally {
    script.close();
  }
}

// --- session stores ------------------------------------------------------------

export async function storeUsage(): Promise<number> {
  const store: SessionStore = fileStore('/var/lib/gw/session', { sync: 'always', syncInterval: 500 });
  const client = await connect('mqtt://127.0.0.1:1883', { clientId: 'gw-1', clean: false, store });
  const restored: RestoredSession | null = client.restored;
  const first: Uint8Array | undefined = restored?.messages[0]?.payload;
  client.on('warning', (message: string) => message.length);
  client.on('storeRecovered', () => undefined);
  const custom: SessionStore = { load: () => null, append: async () => {}, replace: () => {} };
  void custom;
  void indexedDbStore('gw-1', { durability: 'strict' });
  void memoryStore().size;
  // @ts-expect-error sync takes 'interval' | 'always' | 'os'
  fileStore('/tmp/s', { sync: 'never' });
  try {
    await connect('mqtt://127.0.0.1:1883', { clientId: 'gw-1', store: memoryStore() });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'ERR_STORE_MISMATCH') return 1;
  }
  client.remember('next', '42');
  await client.stored();
  const next: string | undefined = restored?.values.next;
  return client.pending + (first?.length ?? 0) + (next?.length ?? 0);
}
