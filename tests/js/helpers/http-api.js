// Calls to the dev broker's HTTP API (tests/js/devbroker-register.test.js and
// friends): real HTTP over loopback with fetch.
//
//   const r = await apiPost(broker.urls.api, '/api/v1/device/auth', { template_secret: 's', device_number: 'd' });
//   r.status, r.body.code, r.body.data

/** POSTs `body` (an object is sent as JSON, a string or Buffer as is); resolves with {status, headers, body}. */
export async function apiPost(base, path, body, headers = {}) {
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: data });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** GETs a path; resolves with {status, headers, body}. */
export async function apiGet(base, path) {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, headers: res.headers, body: await res.json() };
}
