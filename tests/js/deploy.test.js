// deploy/: the emulator's Kubernetes deployment, read the way the cluster,
// Prometheus and docker read it. Every YAML document parses cleanly; the
// Indexed Job's shards, env, args, ports, annotations, volumes, resources and
// security settings agree with each other and with the CLI (its own argument
// parser takes the args, its own scenario parser the ConfigMap's scenario);
// the commented "results" variant of the Job is valid once uncommented; the
// PodMonitor selects the Job's pods; the Dockerfile installs the packed
// package as a non-root user; the README names files that exist and only the
// metrics the emulator serves.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import promClient from 'prom-client';
import { parseAllDocuments } from 'yaml';

import { parseEmulateArgs } from '../../npm/src/cli/emulate.js';
import { registerEmulatorMetrics } from '../../npm/src/cli/emulate-metrics.js';
import { parseScenario } from '../../npm/src/emulator-node.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const deploy = path.join(root, 'deploy');
const read = (rel) => readFileSync(path.join(root, rel), 'utf8');
const pkg = JSON.parse(read('npm/package.json'));

// From the fleet benchmark (README.md, Performance): what one pod was sized for.
const MAX_GATEWAYS_PER_POD = 10_000;
const CORE_PER_10K = 0.43; // of one core, 10,000 gateways
const RSS_PER_GATEWAY = 11.6 * 1024;
const OFFLINE_BUDGET = 512 * 1024 * 1024; // the fleet's offline buffers (docs/scenario.md)

// The metrics users' queries are written against (fixed names).
const QUERIED = [
  'tpgate_gateways',
  'tpgate_messages_published_total',
  'tpgate_messages_acked_total',
  'tpgate_publish_ack_seconds',
  'tpgate_requests_served_total',
  'tpgate_request_service_seconds',
  'tpgate_reconnects_total',
  'tpgate_errors_total',
  'tpgate_queued_messages',
];

/** What `tpgate emulate --metrics-port` serves: name -> {type, labelNames, labels}, from its own registration. */
async function servedMetrics() {
  const registry = new promClient.Registry();
  // A stats sample of zeros (any field) and empty histograms: every label set shows up.
  const zeros = new Proxy({}, { get: (_, key) => (key === 'gateways' ? 1 : 0) });
  const empty = new Proxy({}, { get: () => [] });
  registerEmulatorMetrics(promClient, registry, () => ({ stats: zeros, histograms: empty }));
  const out = new Map();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type, values } = await metric.get();
    out.set(name, { type, labelNames: metric.labelNames ?? [], labels: values.map((v) => v.labels) });
  }
  return out;
}

/** Every document of a YAML text, as JS; fails on any error or warning. */
function parseYaml(text, name) {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  assert.ok(Array.isArray(docs), `${name}: not a YAML stream`);
  docs.forEach((doc, i) => {
    assert.deepEqual(doc.errors.map(String), [], `${name} document ${i + 1}: errors`);
    assert.deepEqual(doc.warnings.map(String), [], `${name} document ${i + 1}: warnings`);
  });
  // a trailing '---' or a comment-only tail is an empty document, not a resource
  return docs.filter((doc) => doc.contents !== null).map((doc) => doc.toJS());
}

function yamlFiles() {
  return readdirSync(deploy).filter((f) => /\.ya?ml$/.test(f)).sort();
}

function allDocs() {
  const out = [];
  for (const file of yamlFiles()) {
    for (const doc of parseYaml(read(`deploy/${file}`), `deploy/${file}`)) out.push({ file, doc });
  }
  return out;
}

function one(docs, kind, name) {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` '${name}'` : ''} (found ${found.length})`);
  return found[0];
}

/** Kubernetes quantities: CPU ('500m', '1') in cores, memory ('512Mi', '1G') in bytes. */
function quantity(value) {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(value));
  assert.ok(m, `not a Kubernetes quantity: '${value}'`);
  const scale = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

/** The value after `flag` in args; the flag must be there exactly once. */
function flag(args, name) {
  const at = args.flatMap((a, i) => (a === name ? [i] : []));
  assert.equal(at.length, 1, `args have ${name} once (found ${at.length}): ${JSON.stringify(args)}`);
  assert.ok(at[0] + 1 < args.length, `${name} has a value`);
  return args[at[0] + 1];
}

/** The Job's template, its one container and the named pieces tests need. */
function jobParts(docs) {
  const job = one(docs, 'Job', 'tpgate-emulate');
  const pod = job.spec.template.spec;
  assert.equal(pod.containers.length, 1, 'one container');
  const container = pod.containers[0];
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
  const ports = container.ports ?? [];
  return { job, pod, container, env, ports, args: container.args.map(String) };
}

/** The mount whose path is the longest prefix of `file`, or undefined (root filesystem). */
function mountOf(container, file) {
  return (container.volumeMounts ?? [])
    .filter((m) => file === m.mountPath || file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

const jobText = () => read('deploy/emulate-job.yaml');

test('every YAML document in deploy/ parses without errors or warnings and names its kind', () => {
  const files = yamlFiles();
  for (const expected of ['emulate-job.yaml', 'podmonitor.yaml']) assert.ok(files.includes(expected), `deploy/${expected} exists`);
  const docs = allDocs();
  assert.ok(docs.length >= 3, `ConfigMap, Job and PodMonitor at least (found ${docs.length})`);
  for (const { file, doc } of docs) {
    assert.equal(typeof doc, 'object', `${file}: a document is a mapping`);
    assert.match(String(doc.apiVersion), /^[\w.-]+(\/v\d\w*)?$|^v1$/, `${file}: apiVersion`);
    assert.match(String(doc.kind), /^[A-Z]\w+$/, `${file}: kind`);
    assert.match(String(doc.metadata?.name), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${file}: metadata.name is a DNS label`);
  }
  // parseYaml itself must refuse a broken document, or the checks above prove nothing.
  assert.throws(() => parseYaml('a: [1, 2\nb: c\n', 'broken'), assert.AssertionError);
});

test('the Job is Indexed, runs every shard at once, and tells each pod the shard count', () => {
  const docs = allDocs().map((d) => d.doc);
  const { job, pod, env } = jobParts(docs);
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.ok(Number.isInteger(job.spec.completions) && job.spec.completions >= 1, 'completions is a positive integer');
  assert.equal(job.spec.parallelism, job.spec.completions, 'parallelism === completions: every shard runs at the same time');
  assert.ok(Number.isInteger(job.spec.backoffLimit) && job.spec.backoffLimit >= 0, 'backoffLimit is set');
  assert.ok(['Never', 'OnFailure'].includes(pod.restartPolicy), `restartPolicy Never or OnFailure (got ${pod.restartPolicy})`);
  assert.equal(env.JOB_COMPLETIONS, String(job.spec.completions), 'env JOB_COMPLETIONS is the string of spec.completions');
  if (job.spec.activeDeadlineSeconds !== undefined) {
    const { args } = jobParts(docs);
    assert.ok(job.spec.activeDeadlineSeconds > Number(flag(args, '--duration')), 'the deadline leaves room for --duration');
  }
});

test("the Job's args are the emulator's: a sharded fleet, metrics on the port the pod declares and announces", () => {
  const docs = allDocs().map((d) => d.doc);
  const { job, container, args, ports } = jobParts(docs);
  assert.equal(args[0], 'emulate', 'the image runs `tpgate`; the first arg is the command');
  assert.equal(flag(args, '--shard'), 'auto');
  assert.match(flag(args, '--url'), /^(mqtts?|tcp|wss?):\/\/[^/:]+(:\d+)?(\/.*)?$/, '--url is a broker URL');
  const metricsPort = flag(args, '--metrics-port');
  const named = ports.filter((p) => p.name === 'metrics');
  assert.equal(named.length, 1, 'one container port named metrics');
  assert.equal(String(named[0].containerPort), metricsPort, '--metrics-port is the metrics containerPort');
  const annotations = job.spec.template.metadata.annotations ?? {};
  assert.equal(annotations['prometheus.io/scrape'], 'true');
  assert.equal(annotations['prometheus.io/port'], metricsPort, 'prometheus.io/port is --metrics-port (and a string)');
  assert.equal(annotations['prometheus.io/path'], '/metrics', 'the path the metrics server serves');
  assert.ok(Number(flag(args, '--duration')) > 0, '--duration ends the run');
  assert.equal(new Set(ports.map((p) => p.name)).size, ports.length, 'port names are unique');
  assert.equal(container.name, 'emulate');
});

test("the CLI's own parser takes the Job's args in every pod, each pod getting its own shard", () => {
  const docs = allDocs().map((d) => d.doc);
  const { job, args, env } = jobParts(docs);
  const shards = new Set();
  for (let index = 0; index < job.spec.completions; index++) {
    const options = parseEmulateArgs(args.slice(1), { ...env, JOB_COMPLETION_INDEX: String(index) });
    assert.equal(options.shard, `${index + 1}/${job.spec.completions}`);
    assert.equal(options.gateways, Number(flag(args, '--gateways')));
    shards.add(options.shard);
  }
  assert.equal(shards.size, job.spec.completions, 'every pod a different shard');
});

test('the ConfigMap is mounted where the args read the scenario, and the emulator accepts the scenario', async () => {
  const docs = allDocs().map((d) => d.doc);
  const { pod, container, args } = jobParts(docs);
  const scenarioPath = args[1];
  assert.ok(scenarioPath.startsWith('/'), `the scenario file is an absolute path (got ${scenarioPath})`);
  const mount = mountOf(container, scenarioPath);
  assert.ok(mount, `a volume is mounted at ${path.posix.dirname(scenarioPath)}`);
  assert.equal(mount.readOnly, true, 'the scenario is mounted read-only');
  const volume = pod.volumes.find((v) => v.name === mount.name);
  assert.ok(volume?.configMap, `the volume ${mount.name} is a ConfigMap`);
  const configMap = one(docs, 'ConfigMap', volume.configMap.name);
  const inVolume = path.posix.relative(mount.mountPath, scenarioPath);
  const item = (volume.configMap.items ?? []).find((i) => i.path === inVolume);
  const key = item ? item.key : inVolume; // without items, each key is a file of its name
  assert.equal(typeof configMap.data?.[key], 'string', `the ConfigMap has the key ${key}`);

  const text = configMap.data[key];
  const json = JSON.parse(text);
  const normalized = await parseScenario(text);
  assert.equal(normalized.gateways.count, json.gateways.count, 'the parser kept the fleet size');
  assert.equal(json.gateways.count, Number(flag(args, '--gateways')), "the scenario's count is the fleet --gateways runs");
  assert.match(json.gateways.device_number, /\{i(:\d+)?\}/, 'a fleet needs {i} in device_number');
  assert.ok(Object.keys(normalized.gateway.sub_devices ?? {}).length > 0, 'a realistic gateway: it has sub-devices');
  // the parser check must be able to fail
  await assert.rejects(parseScenario(JSON.stringify({ ...json, gateways: { ...json.gateways, device_number: 'gw' } })), /device_number|\{i\}/);
});

test('each pod runs at most the gateways its resources were sized for, with room for the offline buffers', () => {
  const docs = allDocs().map((d) => d.doc);
  const { job, container, args } = jobParts(docs);
  const perPod = Math.ceil(Number(flag(args, '--gateways')) / job.spec.completions);
  assert.ok(perPod >= 1 && perPod <= MAX_GATEWAYS_PER_POD, `${perPod} gateways per pod, at most ${MAX_GATEWAYS_PER_POD}`);
  const { requests = {}, limits = {} } = container.resources ?? {};
  const cpu = quantity(requests.cpu);
  assert.ok(cpu >= (CORE_PER_10K * perPod) / 10_000, `cpu request ${requests.cpu} covers ${perPod} gateways`);
  if (limits.cpu !== undefined) assert.ok(quantity(limits.cpu) >= cpu, 'cpu limit >= request');
  const memRequest = quantity(requests.memory);
  const memLimit = quantity(limits.memory);
  assert.ok(memRequest >= perPod * RSS_PER_GATEWAY, `memory request ${requests.memory} covers ${perPod} x 11.6 KiB`);
  assert.ok(memLimit >= memRequest, `memory limit ${limits.memory} >= request ${requests.memory}`);
  assert.ok(memLimit >= OFFLINE_BUDGET + perPod * RSS_PER_GATEWAY, `memory limit ${limits.memory} holds the gateways and a full offline budget`);
});

test('the pod runs as a non-root user on a read-only root filesystem, writing only to volumes', () => {
  const docs = allDocs().map((d) => d.doc);
  const { pod, container, args } = jobParts(docs);
  const sc = { ...pod.securityContext, ...container.securityContext };
  assert.equal(sc.runAsNonRoot, true);
  assert.ok(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0, `runAsUser is not root (got ${sc.runAsUser})`);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
  const tmp = mountOf(container, '/tmp/x');
  assert.ok(tmp && tmp.mountPath === '/tmp', '/tmp is a volume');
  assert.ok(pod.volumes.find((v) => v.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
  const out = flag(args, '--metrics-json');
  const outMount = mountOf(container, out);
  assert.ok(outMount && !outMount.readOnly, `--metrics-json ${out} is on a writable volume`);
  assert.ok(['Never', 'OnFailure'].includes(pod.restartPolicy));
});

test("the image the Job runs is this package's version", () => {
  const docs = allDocs().map((d) => d.doc);
  for (const doc of docs) {
    const spec = doc.kind === 'Job' ? doc.spec.template.spec : doc.kind === 'Pod' ? doc.spec : undefined;
    for (const c of spec?.containers ?? []) {
      assert.match(c.image, /(^|\/)tpgate:[\w.-]+$/, `${doc.kind} ${doc.metadata.name}: the tpgate image`);
      assert.equal(c.image.split(':').pop(), pkg.version, `${doc.kind} ${doc.metadata.name}: tag ${pkg.version} (npm/package.json)`);
    }
  }
});

// The Job's commented `results` blocks (deploy/README.md, "After the run"),
// uncommented as a user would, plus the --metrics-json path the README gives.
function resultsVariant(text) {
  const lines = text.split('\n');
  let uncommented = 0;
  for (let i = 0; i < lines.length; i++) {
    const marker = /^(\s*)#.*uncomment:\s*$/.exec(lines[i]);
    if (!marker) continue;
    for (let j = i + 1; j < lines.length; j++) {
      const m = new RegExp(`^${marker[1]}# (.*)$`).exec(lines[j]);
      if (!m) break;
      lines[j] = marker[1] + m[1];
      uncommented++;
    }
  }
  const out = lines.join('\n').replace('- /tmp/metrics.json', '- /results/shard-$(JOB_COMPLETION_INDEX).json');
  return { text: out, uncommented };
}

test('the results variant of the Job (uncommented) mounts the PVC of deploy/results-pvc.yaml where --metrics-json writes', () => {
  const { text, uncommented } = resultsVariant(jobText());
  assert.ok(uncommented >= 4, `the Job has the commented results blocks (uncommented ${uncommented} lines)`);
  const docs = parseYaml(text, 'emulate-job.yaml with results');
  const { pod, container, args } = jobParts(docs);
  const out = flag(args, '--metrics-json');
  assert.match(out, /\$\(JOB_COMPLETION_INDEX\)/, 'one file per shard');
  const mount = mountOf(container, out);
  assert.ok(mount && !mount.readOnly, `${out} is on a writable volume`);
  const claim = pod.volumes.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName;
  assert.ok(claim, `the volume ${mount.name} is a PVC`);
  const pvcDocs = parseYaml(read('deploy/results-pvc.yaml'), 'deploy/results-pvc.yaml');
  const pvc = one(pvcDocs, 'PersistentVolumeClaim', claim);
  assert.ok(pvc.spec.accessModes.includes('ReadWriteMany'), 'every pod writes to it at once, from any node');
  const reader = one(pvcDocs, 'Pod');
  assert.ok(reader.spec.volumes.some((v) => v.persistentVolumeClaim?.claimName === claim), 'the reader pod mounts the same claim');
  const readerMount = reader.spec.containers[0].volumeMounts[0].mountPath;
  assert.equal(readerMount, mount.mountPath, 'the README copies from the same path the Job writes');
  assert.ok(read('deploy/README.md').includes(`kubectl cp ${reader.metadata.name}:${readerMount}`), 'the README copies from the reader pod');
  // and the unmodified Job does not mount it (the variant is opt-in)
  assert.ok(!jobParts(parseYaml(jobText(), 'emulate-job.yaml')).pod.volumes.some((v) => v.persistentVolumeClaim));
});

test("the PodMonitor selects the Job's pods at a port they have", () => {
  const docs = allDocs().map((d) => d.doc);
  const { job, ports } = jobParts(docs);
  const monitor = one(docs, 'PodMonitor');
  assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
  const selector = monitor.spec.selector.matchLabels;
  assert.ok(Object.keys(selector).length > 0, 'the selector is not empty (it would select every pod)');
  const labels = job.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(selector)) assert.equal(labels[k], v, `the pod template has ${k}=${v}`);
  assert.ok(monitor.spec.podMetricsEndpoints.length >= 1);
  for (const endpoint of monitor.spec.podMetricsEndpoints) {
    assert.ok(ports.some((p) => p.name === endpoint.port), `the container has a port named ${endpoint.port}`);
    assert.equal(endpoint.path ?? '/metrics', job.spec.template.metadata.annotations['prometheus.io/path']);
  }
});

/** Dockerfile instructions: [{op, args}], continuation lines joined, comments dropped. */
function dockerInstructions(text) {
  const out = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue; // comments, also inside a continued instruction
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') {
      const m = /^\s*(\w+)\s+(.*)$/s.exec(current);
      assert.ok(m, `a Dockerfile instruction: ${current}`);
      out.push({ op: m[1].toUpperCase(), args: m[2].trim() });
    }
    current = '';
  }
  return out;
}

test('the Dockerfile: node 20 slim, installs the packed package, runs tpgate as a non-root user', () => {
  const text = read('deploy/Dockerfile');
  const steps = dockerInstructions(text);
  const froms = steps.filter((s) => s.op === 'FROM');
  assert.equal(froms.length, 1, 'one stage');
  assert.match(froms[0].args, /^node:20(\.\d+){0,2}-slim$/, 'FROM node:20-slim');
  const tarball = `${pkg.name}-${pkg.version}.tgz`; // what `npm pack ./npm` writes
  const copy = steps.find((s) => (s.op === 'COPY' || s.op === 'ADD') && /tpgate-[^ ]*\.tgz/.test(s.args));
  assert.ok(copy, 'the tarball is copied in');
  const glob = /(tpgate-[^ ]*\.tgz)/.exec(copy.args)[1];
  const globRe = new RegExp(`^${glob.replace(/\./g, '\\.').replace(/\*/g, '[^/]*').replace(/\$\{?\w+\}?/g, '[^/]*')}$`);
  assert.match(tarball, globRe, `${glob} matches ${tarball}`);
  const install = steps.findIndex((s) => s.op === 'RUN' && /npm (install|i)\b.*(-g|--global)\b.*tpgate-[^ ]*\.tgz/.test(s.args));
  assert.ok(install >= 0, 'RUN npm install --global of the tarball');
  const users = steps.map((s, i) => ({ ...s, i })).filter((s) => s.op === 'USER');
  assert.ok(users.length >= 1, 'a USER line');
  const user = users.at(-1);
  assert.ok(user.i > install, 'USER comes after the (root) install');
  assert.ok(!/^(root|0)(:|$)/.test(user.args), `the user is not root (got ${user.args})`);
  const entry = steps.filter((s) => s.op === 'ENTRYPOINT').at(-1);
  assert.deepEqual(JSON.parse(entry.args), ['tpgate'], 'ENTRYPOINT ["tpgate"] (exec form)');
  const cmd = steps.filter((s) => s.op === 'CMD').at(-1);
  assert.deepEqual(JSON.parse(cmd.args).slice(0, 1), ['emulate'], 'CMD starts with emulate');
  const { container, pod } = jobParts(allDocs().map((d) => d.doc));
  const exposed = steps.filter((s) => s.op === 'EXPOSE').flatMap((s) => s.args.split(/\s+/)).map((p) => p.replace(/\/tcp$/, ''));
  assert.ok(exposed.includes(String(container.ports.find((p) => p.name === 'metrics').containerPort)), 'EXPOSE the metrics port');
  // The node image's `node` user is uid 1000: the pod's runAsUser must be that user.
  const uid = user.args === 'node' ? 1000 : Number(user.args.split(':')[0]);
  assert.equal({ ...pod.securityContext, ...container.securityContext }.runAsUser, uid, 'runAsUser is the image user');
  // The build commands in its comments use this version's tag and this file.
  assert.ok(text.includes(`docker build -f deploy/Dockerfile -t tpgate:${pkg.version} .`), 'the build command in the comments');
  assert.ok(text.includes('npm pack ./npm'), 'the pack command in the comments');
});

test("the build context's ignore file lets the tarball through", () => {
  const file = 'deploy/Dockerfile.dockerignore';
  if (!existsSync(path.join(root, file))) return; // optional: the whole root is then the context
  const rules = read(file)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const matches = (pattern, name) => new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`).test(name);
  const included = (name) => {
    let keep = true; // the last matching rule wins
    for (const rule of rules) {
      const negated = rule.startsWith('!');
      if (matches(negated ? rule.slice(1) : rule, name)) keep = negated;
    }
    return keep;
  };
  assert.equal(included(`${pkg.name}-${pkg.version}.tgz`), true, 'the packed tarball is in the context');
  assert.equal(included('node_modules'), false, 'node_modules is not sent');
});

test('deploy/README.md names files that exist, the Job it runs, and only the metrics the emulator serves', async () => {
  const text = read('deploy/README.md');
  const docs = allDocs().map((d) => d.doc);
  const { job, args } = jobParts(docs);

  // Repository paths anywhere in the README, and the files of `-f FILE`.
  const named = new Set([...text.matchAll(/(?<![\w./-])((?:deploy|docs|npm|tests)\/[\w./-]*[\w-])/g)].map((m) => m[1]));
  for (const m of text.matchAll(/\s-f\s+([\w.][\w./-]*)/g)) named.add(m[1]);
  for (const m of text.matchAll(/\]\((\.\.?\/[^)#\s]+)/g)) named.add(path.posix.join('deploy', m[1]));
  assert.ok(named.has('deploy/emulate-job.yaml') && named.has('deploy/Dockerfile'), 'the README names the Job and the Dockerfile');
  for (const rel of named) assert.ok(existsSync(path.join(root, rel)), `deploy/README.md names ${rel}, which exists`);
  assert.ok(/npm pack \.\/npm/.test(text) && existsSync(path.join(root, 'npm/package.json')), 'npm pack ./npm');

  // Its commands act on this Job's pods and this image.
  const labels = job.spec.template.metadata.labels;
  for (const m of text.matchAll(/-l\s+([\w./-]+)=([\w.-]+)/g)) assert.equal(labels[m[1]], m[2], `-l ${m[1]}=${m[2]} selects the Job's pods`);
  assert.ok(/-l\s+app\.kubernetes\.io\/name=/.test(text), 'the README watches the pods by label');
  assert.ok(text.includes(`job/${job.metadata.name}`), 'kubectl wait names the Job');
  assert.ok(text.includes(`-t tpgate:${pkg.version}`), 'the image tag is the package version');
  assert.ok(text.includes(flag(args, '--url')), "the README says where the broker URL is (the Job's placeholder)");

  // Metric names: each one the README uses is served; the table lists every one served, with its type and labels.
  const served = await servedMetrics();
  for (const name of QUERIED) assert.ok(served.has(name), `the emulator serves ${name}`);
  const used = new Set([...text.matchAll(/\btpgate_\w+/g)].map((m) => m[0]));
  for (const name of used) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const ok = served.has(name) || (base !== name && served.get(base)?.type === 'histogram');
    assert.ok(ok, `${name} is a metric the emulator serves`);
  }
  const rows = new Map([...text.matchAll(/^\| `(tpgate_\w+)` \| (\w+) \|([^|]*)\|/gm)].map((m) => [m[1], { type: m[2], labels: m[3] }]));
  for (const [name, { type, labelNames }] of served) {
    const row = rows.get(name);
    assert.ok(row, `the metrics table lists ${name}`);
    assert.equal(row.type, type, `${name} is a ${type}`);
    const listed = new Map([...row.labels.matchAll(/`(\w+)`: ([\w, ]+)/g)].map((m) => [m[1], m[2].split(/,\s*/).map((v) => v.trim())]));
    assert.deepEqual([...listed.keys()].sort(), [...labelNames].sort(), `${name}'s labels`);
    for (const [label, values] of listed) {
      const real = [...new Set(served.get(name).labels.map((l) => l[label]))].sort();
      assert.deepEqual([...values].sort(), real, `${name}'s ${label} values`);
    }
  }
  // Label values in the queries and the table are values the metrics have.
  for (const m of text.matchAll(/(tpgate_\w+)\{(\w+)="(\w+)"\}/g)) {
    const metric = served.get(m[1].replace(/_bucket$/, ''));
    assert.ok(metric.labelNames.includes(m[2]), `${m[1]} has a label ${m[2]}`);
    const values = new Set(metric.labels.map((l) => l[m[2]]));
    if (values.size > 0) assert.ok(values.has(m[3]), `${m[1]}{${m[2]}="${m[3]}"} is a series the emulator serves`);
  }
  // The plain-Prometheus scrape config: YAML that keeps annotated pods and reads the port annotation.
  const block = /```yaml\n([\s\S]*?)```/.exec(text);
  assert.ok(block, 'a YAML scrape config');
  const [config] = parseYaml(block[1], 'the README scrape config');
  const scrape = config.scrape_configs[0];
  assert.equal(scrape.kubernetes_sd_configs[0].role, 'pod');
  const relabel = scrape.relabel_configs;
  const keep = relabel.find((r) => r.action === 'keep');
  assert.deepEqual(keep.source_labels, ['__meta_kubernetes_pod_annotation_prometheus_io_scrape']);
  assert.equal(keep.regex, job.spec.template.metadata.annotations['prometheus.io/scrape']);
  const address = relabel.find((r) => r.target_label === '__address__');
  assert.ok(address.source_labels.includes('__meta_kubernetes_pod_annotation_prometheus_io_port'));
  const [, host, p] = new RegExp(`^${address.regex}$`).exec(`10.1.2.3:8080;${job.spec.template.metadata.annotations['prometheus.io/port']}`) ?? [];
  assert.equal(`${host}:${p}`, `10.1.2.3:${flag(args, '--metrics-port')}`, 'the relabelled address is the pod IP at the metrics port');
  assert.ok(relabel.some((r) => r.target_label === '__metrics_path__'), 'the path annotation is read');
});
