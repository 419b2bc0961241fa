/**
 * @module
 * `npm run bench`: how fast framechat fans messages out, next to a minimal Node relay and the IRC
 * servers installed on this machine, measured in one run so that ratios cancel the machine's
 * speed. docs/PERFORMANCE.md explains the method and holds the last results.
 *
 *   npm run bench                      every scenario, every target (about 7 minutes)
 *   npm run bench -- --quick           a short profile of the same
 *   npm run bench -- --only big-room   some scenarios (comma-separated names)
 *   npm run bench -- --targets framechat,relay
 *   npm run bench -- --only big-room --targets framechat,framechat-pg,framechat-cluster2,framechat-cluster3
 *   npm run bench -- --json            the results as JSON on stdout instead of the tables
 *   npm run bench -- --profile         framechat, the relay and the load generators under --cpu-prof; prints the hot spots
 *   npm run bench -- --only store      the store alone: write throughput, join history and search p99 at 1M messages
 *   npm run bench -- --only store --store-messages 100000   the same at another size
 *   npm run bench -- --only store-cost,small-room   what a stored message costs, by part, beside the small room
 *
 * Targets: framechat runs with its store (a fresh temp data directory), framechat-nostore with
 * --no-store; FRAMECHAT_BENCH_BASELINE=<a built checkout> adds framechat-base, that build, to
 * compare two builds in one run. framechat-pg (one node on PostgreSQL) and framechat-cluster2/3 (2
 * and 3 nodes on Redis and PostgreSQL, each started fresh) run in the big room unless --targets
 * names them; their "cluster" table sets the Redis hop against the single node.
 *
 * Results go to bench-results/ (git-ignored); a full default run also writes docs/bench-chart.svg.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderChart } from './bench/chart.js';
import { formatHotSpots, hotSpots, mainThreadProfile } from './bench/profile.js';
import { renderText } from './bench/report.js';
import { runBench } from './bench/run.js';
import { renderStore, runStoreBench } from './bench/store.js';
import { renderStoreCost, runStoreCost } from './bench/store-cost.js';
import { scenarios as allScenarios } from './bench/scenarios.js';
import { ROOT, TARGET_NAMES, type TargetName } from './bench/targets.js';

/** Not a client scenario: the store's own benchmark, in this process (scripts/bench/store.ts). */
const STORE = 'store';
/** Not a client scenario either: what one stored message costs, by part (scripts/bench/store-cost.ts). */
const STORE_COST = 'store-cost';

const USAGE = `usage: npm run bench -- [--quick] [--only NAMES] [--targets NAMES] [--json] [--profile] [--generators N] [--storm-clients N] [--store-messages N]
scenarios: ${[...allScenarios(false).map((s) => s.name), STORE].join(', ')}
targets:   ${TARGET_NAMES.join(', ')}`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    targets: { type: 'string' },
    json: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    generators: { type: 'string', default: '2' },
    'storm-clients': { type: 'string' },
    'store-messages': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}

const list = (s: string | undefined): string[] | undefined =>
  s
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const only = list(values.only);
const stormClients = values['storm-clients'] === undefined ? undefined : Number(values['storm-clients']);
if (stormClients !== undefined && (!Number.isInteger(stormClients) || stormClients < 2 || stormClients > 20_000))
  fail('--storm-clients must be 2..20000');
const storeMessages = values['store-messages'] === undefined ? (values.quick ? 100_000 : 1_000_000) : Number(values['store-messages']);
if (!Number.isInteger(storeMessages) || storeMessages < 1000 || storeMessages > 100_000_000)
  fail('--store-messages must be 1000..100000000');
const scenarios = allScenarios(values.quick, stormClients).filter((s) => !only || only.includes(s.name));
for (const name of only ?? [])
  if (name !== STORE && name !== STORE_COST && !scenarios.some((s) => s.name === name)) fail(`unknown scenario "${name}"`);
const withStore = !only || only.includes(STORE);
const targets = list(values.targets) as TargetName[] | undefined;
for (const name of targets ?? []) if (!TARGET_NAMES.includes(name)) fail(`unknown target "${name}"`);
if (targets?.includes('framechat-base') && !process.env['FRAMECHAT_BENCH_BASELINE'])
  fail('framechat-base needs FRAMECHAT_BENCH_BASELINE=<root of a built checkout>');
const generators = Number(values.generators);
if (!Number.isInteger(generators) || generators < 1 || generators > 16) fail('--generators must be 1..16');

const outDir = path.join(ROOT, 'bench-results');
const profileDir = values.profile ? path.join(outDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;
mkdirSync(profileDir ?? outDir, { recursive: true });

const load = os.loadavg()[0]!;
if (load > 0.5 * os.cpus().length) {
  process.stderr.write(`bench: warning: load average ${load.toFixed(2)} on ${os.cpus().length} cores; other work will skew the numbers\n`);
}

const log = (line: string): void => void process.stderr.write(line + '\n');
const run = await runBench({ scenarios, targets, generators, profileDir, log });
if (withStore) {
  log(`\nstore: ${storeMessages} messages`);
  run.store = await runStoreBench({ messages: storeMessages, log });
}
if (only?.includes(STORE_COST)) {
  log('\nstore-cost: per message, by part');
  run.storeCost = await runStoreCost({ log });
}

const stamp = run.startedAt.replace(/[:.]/g, '-');
const json = JSON.stringify(run, null, 2);
writeFileSync(path.join(outDir, `bench-${stamp}.json`), json);
writeFileSync(path.join(outDir, 'latest.json'), json);
const chart = renderChart(run);
writeFileSync(path.join(outDir, 'bench-chart.svg'), chart);
// Only a full default run stands for the project in the docs.
if (!values.quick && !only && !targets) writeFileSync(path.join(ROOT, 'docs/bench-chart.svg'), chart);

if (values.json) process.stdout.write(json + '\n');
else {
  process.stdout.write(
    renderText(run) +
      (run.store ? '\n' + renderStore(run.store) + '\n' : '') +
      (run.storeCost ? '\n' + renderStoreCost(run.storeCost) + '\n' : ''),
  );
}

if (profileDir) {
  // The servers during each scenario's throughput phase (or their whole run), then the load generators.
  for (const { scenario, results } of run.scenarios) {
    for (const r of results) {
      const file = r.profile && mainThreadProfile(r.profile);
      if (!file) continue;
      const phase = r.throughput;
      // The join storm's measurement is its logins.
      const logins =
        scenario.kind === 'join-storm' && r.logins.startUs !== undefined ? { fromUs: r.logins.startUs, toUs: r.logins.endUs! } : undefined;
      const window = phase ? { fromUs: phase.startUs, toUs: phase.endUs } : logins;
      const what = phase ? 'throughput phase' : logins ? 'logins' : 'whole run';
      process.stdout.write(`\n## profile ${r.target}, ${scenario.name}, ${what}\n${formatHotSpots(hotSpots(file, 15, window))}\n`);
    }
  }
  for (const folder of readdirSync(profileDir)
    .filter((f) => f.startsWith('loadgen'))
    .sort()) {
    const file = mainThreadProfile(path.join(profileDir, folder));
    if (file) process.stdout.write(`\n## profile ${folder}, whole run\n${formatHotSpots(hotSpots(file, 15))}\n`);
  }
}
process.stderr.write(`\nresults: ${path.relative(process.cwd(), path.join(outDir, `bench-${stamp}.json`))}\n`);
