// The "did you mean" hint shared by option names and command-line flags.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest } from '../../npm/src/suggest.js';

test('closest(): the nearest candidate, ignoring case; the first of equally near ones', () => {
  assert.equal(closest('keepAlive', ['clientId', 'keepalive', 'clean']), 'keepalive');
  assert.equal(closest('gatways', ['gateways', 'duration', 'seed']), 'gateways');
  assert.equal(closest('qso', ['qos', 'retain']), 'qos');
  assert.equal(closest('ab', ['ax', 'ay']), 'ax');
});

test('closest(): nothing when no candidate is within 2 edits or a third of the name', () => {
  assert.equal(closest('zzzz', ['qos', 'retain', 'properties']), undefined);
  assert.equal(closest('anything', []), undefined);
  // 12 characters: up to 4 edits.
  assert.equal(closest('connectTimes', ['connectTimeout']), 'connectTimeout');
  assert.equal(closest('xxxxxxxxxxxx', ['connectTimeout']), undefined);
});
