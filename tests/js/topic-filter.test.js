// MQTT topic filters in JS (npm/src/topic-filter.js): the matcher behind
// messages() and the dashboard's traffic filter, exported as topicMatcher.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicMatcher } from 'tpgate';
import { filterProblem, topicMatcher as direct } from '../../npm/src/topic-filter.js';

const matches = (filter, topic) => topicMatcher(filter)(topic);

test('the package exports the one matcher', () => {
  assert.equal(topicMatcher, direct);
});

test("'+' is one level, '#' the rest including the parent level", () => {
  assert.ok(matches('a/+/c', 'a/b/c'));
  assert.ok(matches('a/+/c', 'a//c'));
  assert.ok(!matches('a/+/c', 'a/b/d'));
  assert.ok(!matches('a/+', 'a/b/c'));
  assert.ok(!matches('a/+', 'a'));
  assert.ok(matches('a/#', 'a'));
  assert.ok(matches('a/#', 'a/b/c'));
  assert.ok(!matches('a/#', 'ab'));
  assert.ok(matches('+/+', '/x'));
  assert.ok(matches('#', 'a/b'));
});

test('without wildcards, the exact topic only', () => {
  assert.ok(matches('a/b', 'a/b'));
  assert.ok(!matches('a/b', 'a/b/c'));
  assert.ok(!matches('a/b', 'A/b'));
});

test("'$' topics are not matched by a leading wildcard; $share matches like its filter", () => {
  assert.ok(!matches('#', '$SYS/broker'));
  assert.ok(!matches('+/broker', '$SYS/broker'));
  assert.ok(matches('$SYS/#', '$SYS/broker'));
  assert.ok(matches('$share/group/a/+', 'a/b'));
  assert.ok(!matches('$share/group/a/+', 'group/a/b'));
});

test('filterProblem(): why a filter is invalid, or null', () => {
  assert.equal(filterProblem('a/+/#'), null);
  assert.equal(filterProblem(''), 'must be a non-empty string');
  assert.equal(filterProblem('a/\u0000'), 'must not contain NUL');
  assert.equal(filterProblem('a/#/b'), "'#' must be the whole last level");
  assert.equal(filterProblem('a#'), "'#' must be the whole last level");
  assert.equal(filterProblem('a/b+'), "'+' must be a whole level");
});
