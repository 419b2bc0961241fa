/**
 * @module
 * The minimal relay: the least a Node process must do to serve the benchmark over framechat's wire
 * format, as a reference for "the best Node can do". It decodes each frame with the project's
 * codec, keeps rooms as sets of sockets, encodes each broadcast once and writes the same Buffer to
 * every member, corking each socket for the rest of the event-loop turn so that a turn's frames
 * leave in one writev. No validation, limits, timers, logging, names index or joined/left notices.
 *
 * It understands what the load generator sends: hello (→ welcome, into #main), say (→ message to
 * the room, the sender included, as framechat does), join (→ room), nick (→ renamed to everyone)
 * and ping (→ pong).
 *
 * Run: node --import tsx scripts/bench/relay.ts [port]   (prints "relay listening on PORT")
 */
import net from 'node:net';
import { decode, encode, FrameDecoder } from '../../src/protocol/internal.js';

interface Client {
  socket: net.Socket;
  name: string;
  room: string;
  corked: boolean;
}

const rooms = new Map<string, Set<Client>>();
const everyone = new Set<Client>();
let corked: Client[] = [];
let nextId = 1;

function write(client: Client, bytes: Buffer): void {
  if (!client.corked) {
    client.corked = true;
    client.socket.cork();
    if (corked.push(client) === 1) setImmediate(uncorkAll);
  }
  client.socket.write(bytes);
}

function uncorkAll(): void {
  const batch = corked;
  corked = [];
  for (const client of batch) {
    client.corked = false;
    client.socket.uncork();
  }
}

function enter(client: Client, room: string): void {
  rooms.get(client.room)?.delete(client);
  client.room = room;
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(client);
}

function handle(client: Client, m: Record<string, unknown>): void {
  switch (m['type']) {
    case 'hello':
      client.name = String(m['name']);
      everyone.add(client);
      enter(client, '#main');
      write(client, encode({ type: 'welcome', you: client.name, room: '#main' }));
      break;
    case 'say': {
      const frame = encode({ type: 'message', id: nextId++, ts: Date.now(), room: client.room, from: client.name, text: m['text'] });
      for (const member of rooms.get(client.room) ?? []) write(member, frame);
      break;
    }
    case 'join':
      enter(client, String(m['room']));
      write(client, encode({ type: 'room', room: client.room, users: [] }));
      break;
    case 'nick': {
      const frame = encode({ type: 'renamed', ts: Date.now(), from: client.name, to: m['name'] });
      client.name = String(m['name']);
      for (const member of everyone) write(member, frame);
      break;
    }
    case 'ping':
      write(client, encode({ type: 'pong', token: m['token'] }));
      break;
  }
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  const client: Client = { socket, name: '', room: '', corked: false };
  const decoder = new FrameDecoder((payload) => handle(client, decode(payload) as Record<string, unknown>));
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  socket.on('error', () => {});
  socket.on('close', () => {
    rooms.get(client.room)?.delete(client);
    everyone.delete(client);
  });
});

server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), backlog: 4096 }, () => {
  process.stdout.write(`relay listening on ${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
