// The connection options ThingsPanel constrains (docs/thingspanel.md#authentication), checked
// before connecting by both roles: connectGateway() (gateway.js) and connectPlatform() (platform.js).
import { InvalidOptionError } from './errors.js';

// docs/thingspanel.md#authentication: the broker takes keep-alives of at most 300 s.
export const MAX_KEEPALIVE = 300;

/**
 * Checks the connection options ThingsPanel constrains (docs/thingspanel.md#authentication) and
 * returns the first problem as an InvalidOptionError, or null.
 * @param {string} fn the public function, for the message
 * @param {object} options
 * @param {{ reservedUsernames?: string[] }} [rules]
 */
export function authOptionsError(fn, options, { reservedUsernames = [] } = {}) {
  const { keepalive, clientId, username } = options;
  if (typeof keepalive === 'number' && (keepalive === 0 || keepalive > MAX_KEEPALIVE)) {
    return new InvalidOptionError(
      'keepalive',
      `${fn}: keepalive ${keepalive} is not allowed: the ThingsPanel broker accepts at most ${MAX_KEEPALIVE} s (and keep-alive cannot be turned off with 0)`,
    );
  }
  if (clientId === '') {
    return new InvalidOptionError('clientId', `${fn}: clientId must not be empty: ThingsPanel needs a unique, non-empty client id (leave it out to get a generated one)`);
  }
  if (typeof username === 'string' && reservedUsernames.includes(username)) {
    return new InvalidOptionError('username', `${fn}: username ${JSON.stringify(username)} is reserved for the ThingsPanel platform; a device connects with its own voucher`);
  }
  return null;
}
