/**
 * A paste into nc or telnet: many lines at once, faster than the flood limit. Text mode queues the
 * lines over the rate (at most TEXT_QUEUE_LINES) and says them at the rate, in order; only a
 * paste that overflows the queue is a flood.
 */
import { describe, expect, it } from 'vitest';
import { TEXT_QUEUE_LINES } from '../../src/server/session.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const paste = (n: number, tag = 'p'): string => Array.from({ length: n }, (_, i) => `${tag}${i}\n`).join('');

describe('a paste in text mode', () => {
  it('says all 100 lines of a paste, in order, at the rate (defaults: 20 a second, bursts of 40)', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const paster = await TextClient.login(port, 'paster');
    paster.write(paste(100));
    await watcher.next('message', (m) => m.text === 'p99', 15_000);
    const said = watcher.messages.filter((m) => m.type === 'message' && m.from === 'paster').map((m) => m.text);
    expect(said).toEqual(Array.from({ length: 100 }, (_, i) => `p${i}`));
    // The paster sees its own lines too, and no refusal.
    await paster.expect('paster: p99');
    expect(paster.lines.filter((l) => /Too many|Flooding/.test(l))).toEqual([]);
    expect(watcher.messages.filter((m) => m.type === 'left')).toEqual([]);
  }, 20_000);

  it('runs commands in a paste in their place among the lines', async () => {
    const { port } = await startServer({ rate: 50, burst: 5 });
    const watcher = await RawClient.login(port, 'watcher');
    const paster = await TextClient.login(port, 'paster');
    paster.write(`${paste(20, 'a')}nick pasted\n${paste(20, 'b')}`);
    await watcher.next('message', (m) => m.text === 'b19');
    const events = watcher.messages.filter((m) => m.type === 'message' || m.type === 'renamed');
    const renamedAt = events.findIndex((m) => m.type === 'renamed');
    expect(events.slice(0, renamedAt).map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    expect(events.slice(renamedAt + 1).map((m) => [m.from, m.text])).toEqual(Array.from({ length: 20 }, (_, i) => ['pasted', `b${i}`]));
  });

  it(`disconnects as flood, saying why, when more than ${TEXT_QUEUE_LINES} lines are waiting (1 000 at once)`, async () => {
    const { port } = await startServer({ rate: 20, burst: 40 });
    const watcher = await RawClient.login(port, 'watcher');
    const paster = await TextClient.login(port, 'paster');
    paster.write(paste(1_000));
    await paster.expect(`More than ${TEXT_QUEUE_LINES} lines were waiting to be sent (the server takes 20 a second); the rest is dropped.`);
    await paster.expect('Flooding; disconnected.');
    await paster.expect('Goodbye.');
    await paster.waitClosed();
    expect(await watcher.next('left', (m) => m.name === 'paster')).toMatchObject({ reason: 'flood' });
    // The burst was said; the waiting lines went with the connection, none after it left.
    await watcher.sync();
    const said = watcher.messages.filter((m) => m.type === 'message' && m.from === 'paster');
    expect(said.length).toBeGreaterThanOrEqual(39); // the burst, less the login line
    expect(said.length).toBeLessThan(40 + TEXT_QUEUE_LINES);
    expect(watcher.messages.findIndex((m) => m.type === 'left')).toBeGreaterThan(watcher.messages.indexOf(said.at(-1)!));
  });

  it('drops the waiting lines of a client that disconnects, and says none of them afterwards', async () => {
    const test = await startServer({ rate: 20, burst: 5 });
    const watcher = await RawClient.login(test.port, 'watcher');
    const paster = await TextClient.login(test.port, 'paster');
    paster.write(paste(50));
    await watcher.next('message', (m) => m.text === 'p4');
    paster.close();
    await watcher.next('left', (m) => m.name === 'paster');
    const before = watcher.messages.length;
    await sleep(500); // 10 lines' worth of the rate
    await watcher.sync();
    expect(watcher.messages.slice(before).filter((m) => m.type === 'message')).toEqual([]);
    expect(test.logs.filter((l) => l.includes('level=error'))).toEqual([]);
  });

  it('still refuses a framed client over the rate with rate_limited: it can send again', async () => {
    const { port } = await startServer({ rate: 20, burst: 5 });
    const framed = await RawClient.login(port, 'framed');
    for (let i = 0; i < 10; i++) framed.send({ type: 'say', text: `f${i}` });
    expect(await framed.next('error', (m) => m.code === 'rate_limited')).toMatchObject({ ref: 'say' });
  });
});
