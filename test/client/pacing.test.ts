import { afterEach, describe, expect, it } from 'vitest';
import { ChatApp } from '../../src/client/app.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { ClientProcess } from '../helpers/terminal.js';

const apps: ChatApp[] = [];
afterEach(() => {
  for (const app of apps.splice(0)) app.quit();
});

describe('sending a long paste', () => {
  it('delivers every line once and in order, even to a server whose limit is below our pace', async () => {
    // The server takes 5 lines a second in bursts of 5; the client starts at 10/s in bursts of 10,
    // so the server refuses some and the client must send those again, more slowly, without ever
    // being refused so often that the server calls it a flood.
    const { port } = await startServer({ rate: 5, burst: 5 });
    const watcher = await RawClient.login(port, 'watcher');
    const app = new ChatApp({ host: '127.0.0.1', port, address: `127.0.0.1:${port}`, name: 'paster', backoff: { baseMs: 50, capMs: 200 } });
    apps.push(app);
    await app.start();
    const lines = Array.from({ length: 30 }, (_, i) => `pasted line ${i + 1}`);
    for (const line of lines) app.say(line);

    expect(await app.whenDelivered(20_000)).toBe(true);
    await watcher.next('message', (m) => m.text === lines.at(-1));
    const heard = watcher.messages.flatMap((m) => (m.type === 'message' && m.from === 'paster' ? [m.text] : []));
    expect(heard).toEqual(lines);
    expect(app.state.status).toBe('online');
    expect(watcher.messages.filter((m) => m.type === 'left' && m.name === 'paster')).toEqual([]);
  }, 30_000);

  it('reports a stall when no line is delivered for a while', async () => {
    const { port, server } = await startServer();
    const app = new ChatApp({
      host: '127.0.0.1',
      port,
      address: `127.0.0.1:${port}`,
      name: 'stalled',
      backoff: { baseMs: 5_000, capMs: 5_000 },
    });
    apps.push(app);
    await app.start();
    await server.shutdown(0);
    app.say('into the void');
    expect(await app.whenDelivered(300)).toBe(false);
    expect(app.state.outgoing.lines.map((p) => p.text)).toEqual(['into the void']);
  });
});

describe('piping a long file into chat-client', () => {
  it('delivers 100 lines through the default flood control of the server, in order, and exits 0', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bulk', `127.0.0.1:${port}`]);
    client.child.stdin.end(Array.from({ length: 100 }, (_, i) => `bulk ${i + 1}`).join('\n') + '\n');
    // 100 lines at 10 a second after a burst of 10 take 9 s by design: wait for the exit longer than that.
    expect(await client.exitCode(40_000)).toBe(0);
    for (let i = 1; i <= 100; i++) expect(await watcher.next('message')).toMatchObject({ from: 'bulk', text: `bulk ${i}` });
    expect(client.stdout).not.toMatch(/slow down|Flooding/i);
  }, 60_000);
});
