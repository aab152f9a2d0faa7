import { fork } from 'node:child_process';
import { launchChromium } from './helpers/chromium.js';
import { DASHBOARD_DIST, dashboardUrl, ensureDashboardBuilt, openDashboard } from './helpers/dashboard.js';
import { startStaticServer } from './helpers/static-server.js';
const G = Number(process.env.G ?? 50), RATE = Number(process.env.RATE ?? 5000);
const child = fork(new URL('./helpers/load-fleet.js', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ask = (m, type) => new Promise((r, j) => { const f = (x) => { if (x.type === type || x.type === 'error') { child.off('message', f); x.type === 'error' ? j(new Error(x.message)) : r(x); } }; child.on('message', f); child.send(m); });
const ready = await ask({ type: 'start', gateways: G, rootPassword: 'pw' }, 'ready');
await ensureDashboardBuilt();
const server = await startStaticServer({ '/': DASHBOARD_DIST });
const browser = await launchChromium();
const devices = ready.devices.map((d) => `${d.device_id}=${d.device_number}`).join(',');
const page = await openDashboard(browser, dashboardUrl(server.origin, { url: ready.wsUrl, username: 'root', password: 'pw', version: 4, devices }));
await page.locator('#conn-state[data-state=connected]').waitFor();
const cdp = await page.context().newCDPSession(page);
await ask({ type: 'fleet', rate: RATE, source: process.env.SOURCE }, 'fleet');
await page.locator('#tree [role=treeitem]', { hasText: 'sensor_101' }).first().click();
await page.waitForTimeout(1000);
const t0 = await page.evaluate(() => performance.now());
await browser.startTracing(page, { path: '/tmp/dash/trace.json', categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'toplevel'] });
await page.waitForTimeout(8000);
await browser.stopTracing();
const prof = { nodes: [], samples: [], timeDeltas: [], startTime: 0 };
const lt = (await page.evaluate(() => window.__longTasks)).filter((l) => l.start > t0);
console.log('long tasks', JSON.stringify(lt.map((l) => [Math.round(l.start - t0), Math.round(l.duration)])));
// samples inside long tasks, by function (inclusive of the top frame only)
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map(); for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
let t = prof.startTime; // microseconds, same clock as performance.timeOrigin-based? use relative
const startRel = t0; // approx
const self = new Map(); let inLT = 0;
const stack = (id) => { const out = []; for (let x = id; x !== undefined; x = parent.get(x)) { const n = byId.get(x); out.push(n.callFrame.functionName || '(anon)'); } return out; };
const incl = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  t += prof.timeDeltas[i];
  const rel = (t - prof.startTime) / 1000; // ms since profile start
  if (!lt.some((l) => rel >= l.start - t0 - 5 && rel <= l.start - t0 + l.duration + 5)) continue;
  inLT++;
  const s = stack(prof.samples[i]);
  self.set(s[0], (self.get(s[0]) ?? 0) + 1);
  for (const f of new Set(s)) incl.set(f, (incl.get(f) ?? 0) + 1);
}
console.log('samples in long tasks', inLT);
console.log('self', [...self].sort((a, b) => b[1] - a[1]).slice(0, 15));
console.log('incl', [...incl].sort((a, b) => b[1] - a[1]).slice(0, 25));
await browser.close(); await server.stop(); await ask({ type: 'stop-fleet' }, 'stop-fleet'); child.send({ type: 'exit' });
