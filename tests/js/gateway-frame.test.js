// The gateway role's outputs as frames (src/gateway/gateway_frame.hpp): the
// wasm GatewayRole driven directly, each call's frame read back through
// npm/src/packed.js, so that every event type and the publication record are
// checked as the role wrote them, with the header's deadline.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadTpgateGateway } from 'tpgate/gateway';
import { readFrameAt, topicLength, writePublish } from '../../npm/src/packed.js';

const DN = 'gw-1';

async function roleFor(t) {
  const tpgate = await loadTpgateGateway({});
  const role = new tpgate.GatewayRole({ deviceNumber: DN, ackTimeout: 5000 });
  t.after(() => role.delete());
  const read = (at) => {
    const records = [];
    const deadline = readFrameAt(tpgate, at, {
      publication: (topic, payload, qos, retain) => records.push({ publication: { topic, payload, qos, retain } }),
      jsonEvent: (e) => records.push(e),
    }, null);
    return { deadline, records };
  };
  const address = role.address();
  const receive = (topic, payload, now) => {
    const length = writePublish(tpgate, topic, typeof payload === 'string' ? payload : new TextEncoder().encode(JSON.stringify(payload)));
    return read(tpgate._tpgate_gateway_receive(address, topicLength, length, now));
  };
  return { role, read, receive };
}

describe('GatewayRole frames', () => {
  test('a request carries its target and its body as JSON (nested, non-ASCII, escapes)', async (t) => {
    const { role, read, receive } = await roleFor(t);
    const params = { text: 'é ☃ 😀 "q" \\ \n\t \u0001 \u007f', nested: { list: [1, -2.5, 1e21, null, true, { deep: ['x'] }], empty: {} } };
    const payload = { sub_gateway_data: { g1: { sub_device_data: { 's-é': { method: 'Go', params } } } } };
    const frame = receive(`gateway/command/${DN}/4242`, payload, 1000);
    assert.deepEqual(frame, {
      deadline: -1,
      records: [{
        type: 'request', id: 1, kind: 'command', messageId: '4242',
        target: { subGateways: ['g1'], subDevice: 's-é' },
        body: { method: 'Go', params },
      }],
    });
    // Answered: the response as a publication record.
    const answer = read(role.respond(1, { ok: true, values: '' }, 2000));
    assert.deepEqual(answer, {
      deadline: -1,
      records: [{ publication: { topic: 'gateway/command/response/4242', payload: '{"result":0,"message":"success","ts":2,"method":"Go"}', qos: 1, retain: false } }],
    });
    // The gateway itself: no sub-device member.
    const control = receive(`gateway/telemetry/control/${DN}`, { gateway_data: { on: true } }, 3000);
    assert.deepEqual(control.records, [{ type: 'request', id: 2, kind: 'control', messageId: '', target: { subGateways: [] }, body: { on: true } }]);
  });

  test('attribute get: reportSent after its publication; the deadline of its ack', async (t) => {
    const { role, read, receive } = await roleFor(t);
    const get = receive(`gateway/attributes/get/${DN}`, { keys: ['ip'] }, 1000);
    assert.deepEqual(get.records, [{ type: 'request', id: 1, kind: 'attributeGet', messageId: '', target: { subGateways: [] }, body: { keys: ['ip'] } }]);
    const answer = read(role.respond(1, { ok: true, values: '{"ip":"10.0.0.2","mac":"x"}' }, 1001));
    assert.equal(answer.deadline, 6001);
    assert.equal(answer.records.length, 2);
    const { topic, payload, qos, retain } = answer.records[0].publication;
    const messageId = topic.slice('gateway/attributes/'.length);
    assert.deepEqual([JSON.parse(payload), qos, retain], [{ gateway_data: { ip: '10.0.0.2' } }, 1, false]);
    assert.deepEqual(answer.records[1], { type: 'reportSent', token: 1, messageId });
  });

  test('reports: result with warnings, acks of both families, a timeout through tick, refused calls', async (t) => {
    const { role, read, receive } = await roleFor(t);
    let deep = { gateway_data: { x: 1 } };
    for (let i = 6; i >= 1; i--) deep = { sub_gateway_data: { [`g${i}`]: deep } };
    const sent = read(role.reportAttributes(JSON.stringify(deep), 1000));
    assert.equal(sent.deadline, 6000);
    assert.equal(sent.records.length, 2);
    const pub = sent.records[0].publication;
    const report = sent.records[1];
    assert.deepEqual(pub, { topic: `gateway/attributes/${report.messageId}`, payload: JSON.stringify(deep), qos: 1, retain: false });
    assert.deepEqual(Object.keys(report), ['type', 'messageId', 'token', 'warnings']);
    assert.deepEqual([report.type, report.token, report.warnings.length], ['report', 1, 1]);
    assert.match(report.warnings[0], /6 levels/);

    const telemetry = read(role.reportTelemetry('{"gateway_data":{"t":"é"}}', 1000));
    assert.deepEqual(telemetry.records, [
      { publication: { topic: 'gateway/telemetry', payload: '{"gateway_data":{"t":"é"}}', qos: 1, retain: false } },
      { type: 'report', messageId: '', token: null, warnings: [] },
    ]);

    const ok = receive(`gateway/attributes/response/${DN}/${report.messageId}`, { result: 0, message: 'success', ts: 1 }, 1250);
    assert.deepEqual(ok, {
      deadline: -1,
      records: [{ type: 'reportAcked', token: 1, rttMs: 250, success: true, errcode: '', message: 'success', problem: '', family: 'gateway' }],
    });

    const event = read(role.reportEvent('{"gateway_data":{"method":"Boot","params":{}}}', 2000)).records[1];
    const refused = receive(`devices/event/response/${DN}/${event.messageId}`, { result: 1, errcode: 'E1', message: 'nö', ts: 2 }, 2100);
    assert.deepEqual(refused.records, [
      { type: 'reportAcked', token: 2, rttMs: 100, success: false, errcode: 'E1', message: 'nö', problem: '', family: 'devices' },
    ]);

    const late = read(role.reportAttributes('{"gateway_data":{"v":1}}', 3000)).records[1];
    assert.deepEqual(read(role.tick(7999)), { deadline: 8000, records: [] });
    assert.deepEqual(read(role.tick(8000)), {
      deadline: -1,
      records: [{ type: 'reportTimedOut', token: 3, kind: 'attributeReport', messageId: late.messageId }],
    });
    // The ack after the timeout: a warning.
    const warned = receive(`gateway/attributes/response/${DN}/${late.messageId}`, { result: 0 }, 8100);
    assert.equal(warned.records.length, 1);
    assert.deepEqual(Object.keys(warned.records[0]), ['type', 'message']);
    assert.equal(warned.records[0].type, 'warning');

    // Refused calls: a failure event and nothing else, with the fields of a failure object.
    assert.deepEqual(read(role.reportAttributes('{"gateway_data":', 9000)), {
      deadline: -1,
      records: [{ type: 'failure', code: 0x99, reason: 'Payload format invalid', message: '(root): not valid JSON', kind: 'payload', path: '' }],
    });
    const unknown = read(role.respond(77, { ok: true }, 9000)).records;
    assert.deepEqual(unknown, [{ type: 'failure', code: 0x80, reason: 'Unspecified error', message: 'request 77 is not open (unknown or already answered)' }]);
    const bad = read(role.respond(-1, { ok: true }, 9000)).records;
    assert.deepEqual(bad.map((f) => [f.type, f.kind, f.path]), [['failure', 'argument', 'respond']]);
    const badOutcome = read(role.respond(1, { ok: 'yes' }, 9000)).records;
    assert.deepEqual(badOutcome.map((f) => [f.type, f.kind, f.path]), [['failure', 'argument', 'outcome.ok']]);
  });

  test('a malformed payload: the failure response, then the error with its kind and path', async (t) => {
    const { receive } = await roleFor(t);
    const frame = receive(`gateway/attributes/set/${DN}/9`, { gateway_data: 5 }, 1000);
    assert.deepEqual(frame.records, [
      {
        publication: {
          topic: 'gateway/attributes/set/response/9',
          payload: '{"result":1,"errcode":"INVALID_PARAM","message":"gateway_data: expected an object of key/values","ts":1}',
          qos: 1,
          retain: false,
        },
      },
      {
        type: 'error',
        error: { code: 0x99, reason: 'Payload format invalid', message: 'gateway_data: expected an object of key/values', kind: 'payload', path: 'gateway_data' },
        topic: `gateway/attributes/set/${DN}/9`,
      },
    ]);
    const notJson = receive(`gateway/command/${DN}/10`, '{"sub_device_data":', 1000).records.at(-1);
    assert.deepEqual([notJson.type, notJson.error.kind, notJson.error.path, notJson.topic], ['error', 'payload', '', `gateway/command/${DN}/10`]);
  });
});
