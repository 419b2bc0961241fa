/**
 * @module
 * What one Redis core carries of the cluster's bus, without the nodes: a fresh redis-server
 * (scripts/services), S raw subscribers on `framechat:bus` standing for S nodes, and redis-benchmark
 * running the bus's own publish script (src/server/cluster/bus.ts) with a message-sized payload.
 * Prints messages per Redis CPU-second for each S, so the per-subscriber cost can be read off.
 * docs/CLUSTER.md quotes it.
 *
 *   node --import tsx scripts/bench/redis-bus.ts [messages] [subscriber counts...]
 *   node --import tsx scripts/bench/redis-bus.ts 200000 1 3 10 100
 *
 * With many subscribers it sends fewer messages (messages x 10 / S): this process reads them all.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import { PUBLISH_SCRIPT } from '../../src/server/cluster/bus.js';
import { startRedis } from '../services/redis.js';
import { cpuSeconds } from './proc.js';

const [messagesArg, ...countArgs] = process.argv.slice(2);
const messages = Number(messagesArg ?? 200_000);
const counts = (countArgs.length > 0 ? countArgs : ['1', '3', '10', '100']).map(Number);
if (!Number.isInteger(messages) || messages < 1000 || counts.some((c) => !Number.isInteger(c) || c < 1 || c > 1000)) {
  process.stderr.write('usage: redis-bus.ts [messages >= 1000] [subscribers 1..1000 ...]\n');
  process.exit(2);
}

// A room message as a node publishes it: about 230 bytes of JSON.
const payload = JSON.stringify({
  n: 'n1',
  t: 'chat',
  c: 1,
  m: { type: 'message', room: '#main', from: 'u12345', text: 'x'.repeat(100), ts: Date.now(), id: 0 },
});

const redis = await startRedis();
try {
  for (const subscribers of counts) {
    // Fewer messages for many subscribers: this process reads everything Redis sends them.
    const n = Math.max(1000, Math.min(messages, Math.round((messages * 10) / subscribers)));
    const sockets: net.Socket[] = [];
    let received = 0;
    for (let i = 0; i < subscribers; i++) {
      const s = net.connect(redis.port, '127.0.0.1');
      s.on('data', (d: Buffer) => (received += d.length));
      s.write('SUBSCRIBE framechat:bus\r\n');
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 300));
    const cpu0 = cpuSeconds(redis.pid);
    const t0 = process.hrtime.bigint();
    // Not execFileSync: the subscribers must keep reading, or Redis drops them at its output limit.
    await promisify(execFile)(
      'redis-benchmark',
      [
        '-p',
        String(redis.port),
        '-n',
        String(n),
        '-c',
        '4',
        '-P',
        '16',
        '-q',
        'EVAL',
        PUBLISH_SCRIPT,
        '2',
        'framechat:seq',
        'framechat:bus',
        payload,
        '0',
      ],
      { maxBuffer: 1 << 20 },
    );
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(redis.pid) - cpu0;
    process.stdout.write(
      `${subscribers} subscribers: ${n} messages in ${wall.toFixed(2)} s, Redis CPU ${cpu.toFixed(2)} s, ` +
        `${Math.round(n / cpu)} messages per Redis CPU-s, ${Math.round((n * subscribers) / cpu)} sends per CPU-s; ` +
        `${(received / 2 ** 20).toFixed(0)} MiB reached the subscribers\n`,
    );
    const closed = sockets.filter((s) => s.destroyed).length;
    if (closed > 0) process.stdout.write(`  ${closed} subscribers were disconnected (output buffer limit): not a valid reading\n`);
    for (const s of sockets) s.destroy();
  }
} finally {
  await redis.stop();
}
