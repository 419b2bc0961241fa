/**
 * The soak: its ledger on hand-made streams (so we know it catches what it claims to), then the
 * short profile run for real against the built server, as CI runs it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/protocol/internal.js';
import { Ledger, type Tally } from '../../scripts/soak/ledger.js';
import { checkReceipts, emptyRestartStats } from '../../scripts/soak/restart.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const welcome = (you: string, users: string[]): ServerMessage => ({
  type: 'welcome',
  protocol: 2,
  server: 'test',
  version: '0.1.0',
  you,
  address: '127.0.0.1:1',
  rooms: [{ room: '#main', topic: '', users }],
  clients: users.length,
  maxFrame: 65_536,
  limits: { maxRooms: 20, text: 4096, topic: 512 },
});
const message = (id: number, from: string, text: string, room = '#main'): ServerMessage => ({
  type: 'message',
  id,
  ts: 0,
  room,
  from,
  text,
});
const joined = (name: string, room = '#main'): ServerMessage => ({ type: 'joined', ts: 0, room, name, host: '127.0.0.1', clients: 0 });

/** alice and bob in #main; alice says `says` things (ids 1..says); the caller decides who gets what. */
function twoInMain(says: number): { ledger: Ledger; alice: number; bob: number; texts: string[] } {
  const ledger = new Ledger();
  const alice = ledger.join('alice');
  const bob = ledger.join('bob');
  ledger.receive(alice, welcome('alice', ['alice']));
  ledger.receive(bob, welcome('bob', ['alice', 'bob']));
  ledger.receive(alice, joined('bob'));
  const texts = Array.from({ length: says }, () => ledger.sayText(alice));
  return { ledger, alice, bob, texts };
}

const findings = (t: Tally): Partial<Tally> => ({
  lost: t.lost,
  duplicated: t.duplicated,
  outOfOrder: t.outOfOrder,
  viewMismatches: t.viewMismatches,
  unanswered: t.unanswered,
});
const clean = { lost: 0, duplicated: 0, outOfOrder: 0, viewMismatches: 0, unanswered: 0 };

describe('the restart check', () => {
  const sent = new Map([
    ['#main', [1, 3, 5]],
    ['#rust', [2, 4]],
  ]);
  const both = [['#main', '#rust']];
  it.each([
    ['every line once, in order', [1, 3, 5], [2, 4], both[0]!, { lost: 0, duplicated: 0, outOfOrder: 0, notRejoined: 0, delivered: 5 }],
    ['a line missing', [1, 5], [2, 4], both[0]!, { lost: 1, delivered: 4 }],
    ['a line twice (the catch-up overlapping the live lines)', [1, 3, 3, 5], [2, 4], both[0]!, { duplicated: 1, delivered: 5 }],
    ['lines out of id order', [1, 5, 3], [2, 4], both[0]!, { outOfOrder: 1, delivered: 5 }],
    ['a room not rejoined', [1, 3, 5], [], ['#main'], { lost: 2, notRejoined: 1 }],
  ])('finds %s', (_, main, rust, joined, found) => {
    const stats = emptyRestartStats(1);
    checkReceipts(
      stats,
      sent,
      [
        new Map([
          ['#main', main],
          ['#rust', rust],
        ]),
      ],
      [joined],
    );
    expect(stats).toMatchObject({ confirmed: 5, ...found });
  });
});

describe('the soak ledger', () => {
  it('finds nothing when every member got every message once, in order', () => {
    const { ledger, alice, bob, texts } = twoInMain(2);
    for (const who of [alice, bob]) texts.forEach((text, i) => ledger.receive(who, message(i + 1, 'alice', text)));
    ledger.end(alice, 'bye');
    ledger.end(bob, 'bye');
    const tally = ledger.verify();
    expect(findings(tally)).toEqual(clean);
    expect(tally).toMatchObject({ messages: 2, delivered: 4, excused: 0 });
  });

  it('counts a message a member that logged out never got as lost', () => {
    const { ledger, alice, bob, texts } = twoInMain(2);
    texts.forEach((text, i) => ledger.receive(alice, message(i + 1, 'alice', text)));
    ledger.receive(bob, message(2, 'alice', texts[1]!));
    ledger.end(alice, 'bye');
    ledger.end(bob, 'bye');
    expect(findings(ledger.verify())).toEqual({ ...clean, lost: 1 });
  });

  it('excuses a message in flight when a member dropped, but not one before a later id it got', () => {
    const { ledger, alice, bob, texts } = twoInMain(3);
    texts.forEach((text, i) => ledger.receive(alice, message(i + 1, 'alice', text)));
    // bob got id 2 but not 1 (lost: 1 was written before 2) and not 3 (excused: in flight).
    ledger.receive(bob, message(2, 'alice', texts[1]!));
    ledger.end(alice, 'bye');
    ledger.end(bob, 'abrupt');
    expect(ledger.verify()).toMatchObject({ ...clean, lost: 1, excused: 1, delivered: 4 });
  });

  it('counts a repeated id as duplicated and a lower id as out of order', () => {
    const { ledger, alice, bob, texts } = twoInMain(2);
    texts.forEach((text, i) => ledger.receive(alice, message(i + 1, 'alice', text)));
    ledger.receive(bob, message(2, 'alice', texts[1]!));
    ledger.receive(bob, message(2, 'alice', texts[1]!));
    ledger.receive(bob, message(1, 'alice', texts[0]!));
    ledger.end(alice, 'bye');
    ledger.end(bob, 'bye');
    expect(findings(ledger.verify())).toEqual({ ...clean, duplicated: 1, outOfOrder: 1 });
  });

  it('notices members disagreeing about who was in the room when a message was said', () => {
    const { ledger, alice, bob, texts } = twoInMain(1);
    const carol = ledger.join('carol');
    ledger.receive(carol, welcome('carol', ['alice', 'bob', 'carol']));
    ledger.receive(alice, joined('carol'));
    // bob never heard that carol joined, so his view of #main differs from alice's and carol's.
    for (const who of [alice, carol, bob]) ledger.receive(who, message(1, 'alice', texts[0]!));
    for (const who of [alice, bob, carol]) ledger.end(who, 'bye');
    expect(findings(ledger.verify())).toEqual({ ...clean, viewMismatches: 1 });
  });

  it('counts a member that logged out with a say never echoed as unanswered', () => {
    const { ledger, alice, bob, texts } = twoInMain(2);
    for (const who of [alice, bob]) ledger.receive(who, message(1, 'alice', texts[0]!));
    ledger.end(alice, 'bye');
    ledger.end(bob, 'bye');
    expect(findings(ledger.verify())).toEqual({ ...clean, unanswered: 1 });
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the soak; `onStderr` sees its progress as it comes (to act on a phase). */
function runSoak(args: string[], onStderr?: (soFar: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/soak.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the soak script', () => {
  it('runs the short profile clean against the built server and prints what it checked', async () => {
    const run = await runSoak(['--profile', 'short', '--json']);
    expect(run.stderr).toMatch(/^verdict {4}PASS$/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      pass: boolean;
      findings: string[];
      tally: Tally;
      cycles: { done: number; failures: string[] };
      probe: { others: string[] };
      server: { exit: { code: number } };
      memory: { heapFinal: { objects: { Session: number } } };
      restart: { confirmed: number; delivered: number };
    };
    expect(result.findings).toEqual([]);
    expect(result.pass).toBe(true);
    expect(result.tally).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, misrouted: 0, dropped: 0 });
    expect(result.tally.delivered).toBeGreaterThan(1000);
    expect(result.cycles.done).toBeGreaterThanOrEqual(1000);
    expect(result.probe.others).toEqual([]);
    expect(result.memory.heapFinal.objects.Session).toBe(0);
    expect(result.server.exit.code).toBe(0);
    expect(result.restart).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, notRejoined: 0 });
    expect(result.restart.confirmed).toBeGreaterThan(0);
    expect(result.restart.delivered).toBe(result.restart.confirmed);
    for (const line of ['checked', 'result', 'cycles', 'memory', 'heap', 'restart', 'shutdown'])
      expect(run.stderr).toMatch(new RegExp(`^${line} +\\S`, 'm'));
  }, 120_000);

  it('says first that the server went away when it exits by itself during the run, and fails', async () => {
    let killed = false;
    const run = await runSoak(['--profile', 'short'], (soFar) => {
      const pid = /server pid (\d+)/.exec(soFar)?.[1];
      if (!killed && pid !== undefined && /chat: \d+ clients/.test(soFar)) {
        killed = true;
        process.kill(Number(pid), 'SIGKILL');
      }
    });
    expect(killed).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^verdict {4}FAIL: the server exited by itself [\d.]+ s into the run \(code null, signal SIGKILL\)/m);
    expect(run.stdout).toMatch(/^shutdown {3}n\/a: the server had already exited$/m);
  }, 120_000);

  it('refuses an unknown profile with exit code 2 and the usage', async () => {
    const run = await runSoak(['--profile', 'forever']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--profile must be short or long');
    expect(run.stderr).toContain('Usage: npm run soak');
  });
});
