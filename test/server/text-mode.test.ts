/**
 * Text mode over real sockets, as telnet and nc use it, mixed with framed clients in the same
 * rooms: detection on the first byte, line handling, every command, and both modes seeing each
 * other.
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TEXT_BYTES } from '../../src/protocol/internal.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

const IAC = 0xff;
const WILL = 251;
const DO = 253;
const SB = 250;
const SE = 240;

const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

/** A plain socket that counts every byte the server sends. */
async function rawSocket(port: number): Promise<{ socket: net.Socket; received: () => number }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  sockets.push(socket);
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
  socket.on('error', () => {});
  await once(socket, 'connect');
  return { socket, received: () => bytes };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('text mode detection', () => {
  it('writes nothing on the main port before the client has sent its first byte', async () => {
    const { port } = await startServer();
    const { socket, received } = await rawSocket(port);
    // Asserting an absence needs a wait; 200 ms is many round trips on loopback.
    await sleep(200);
    expect(received()).toBe(0);
    socket.write('help\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    expect(received()).toBeGreaterThan(0);
  });

  it('treats a first byte of 0x00 as framed and anything else as text', async () => {
    const { port } = await startServer();
    const framed = await RawClient.login(port, 'alice');
    const text = await TextClient.connect(port);
    text.line('help');
    await text.expect(/^Commands/);
    framed.send({ type: 'who' });
    expect(await framed.next('users')).toMatchObject({ users: ['alice'] });
  });

  it('goes to text mode when the first bytes are telnet negotiation', async () => {
    const { port } = await startServer();
    const text = await TextClient.connect(port);
    text.write(Buffer.from([IAC, DO, 1, IAC, WILL, 31]));
    text.line('login bob');
    await text.expect(/^Welcome to test, bob!/);
  });

  it('greets at once on the --text-port, with a hint to log in', async () => {
    const { textPort } = await startServer({ textPort: 0 });
    const text = await TextClient.connect(textPort!);
    await text.expect('*** Welcome to test, a framechat server.');
    await text.expect(/login NAME/);
    text.line('login bob');
    await text.expect(/^Welcome to test, bob!/);
  });

  it('shares users between the --text-port and framed clients on the main port', async () => {
    const { port, textPort } = await startServer({ textPort: 0 });
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.connect(textPort!);
    bob.line('login bob');
    expect(await alice.next('joined')).toMatchObject({ name: 'bob' });
    bob.line('hi from the text port');
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'hi from the text port' });
  });
});

describe('text mode lines', () => {
  it('takes lines ending in \\n (nc) and in \\r\\n (telnet), and ends its own in \\r\\n', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const { socket } = await rawSocket(port);
    let output = '';
    socket.setEncoding('utf8');
    socket.on('data', (t: string) => (output += t));
    socket.write('login bob\n');
    await alice.next('joined');
    socket.write('one\ntwo\r\n');
    expect(await alice.next('message')).toMatchObject({ text: 'one' });
    expect(await alice.next('message')).toMatchObject({ text: 'two' });
    alice.send({ type: 'say', text: 'three' });
    await alice.next('message', (m) => m.text === 'three');
    await until(
      () => output.includes('alice: three\r\n'),
      () => output,
    );
    // Every line the server wrote ends in \r\n: no bare \n anywhere.
    expect(output.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('holds a partial line until its end arrives', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    for (const part of ['hel', 'lo ', 'wor', 'ld\r', '\n']) {
      bob.write(part);
      await sleep(5); // separate TCP segments, so the server really sees the pieces apart
    }
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'hello world' });
  });

  it('drops telnet IAC sequences in the middle of a line and split across writes', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    const pieces: (string | number[])[] = [
      'ab',
      [IAC, WILL, 1],
      'cd',
      [IAC],
      [SB, 31, 0, 80],
      [0, 24, IAC],
      [SE],
      'ef',
      [IAC, IAC],
      '\r\n',
    ];
    for (const piece of pieces) {
      bob.write(typeof piece === 'string' ? piece : Buffer.from(piece));
      await sleep(5);
    }
    // IAC IAC is a literal 0xFF byte, which is not UTF-8: it arrives as U+FFFD, not silently lost.
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'abcdef\ufffd' });
  });

  it('refuses an over-long line with an error line, and the next line still works', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    bob.line('x'.repeat(20_000));
    await bob.expect(/^Line refused: longer than \d+ bytes\.$/);
    bob.line('still here');
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'still here' });
    // Nothing of the long line reached the room.
    expect(alice.messages.filter((m) => m.type === 'message')).toHaveLength(1);
  });

  it('refuses text over the protocol limit with the protocol error, not a cut line', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    bob.line('say ' + 'y'.repeat(MAX_TEXT_BYTES + 1));
    await bob.expect(`text is over ${MAX_TEXT_BYTES} bytes`);
    bob.line('say ' + 'y'.repeat(MAX_TEXT_BYTES));
    expect(await alice.next('message')).toMatchObject({ text: 'y'.repeat(MAX_TEXT_BYTES) });
  });

  it('carries Chinese names and text both ways', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, '小红');
    const bob = await TextClient.login(port, '小明');
    expect(await alice.next('joined')).toMatchObject({ name: '小明' });
    bob.line('你好，世界');
    expect(await alice.next('message')).toMatchObject({ from: '小明', text: '你好，世界' });
    alice.send({ type: 'say', text: '你好，小明' });
    await bob.expect('小红: 你好，小明');
    bob.line('msg 小红 悄悄话');
    expect(await alice.next('private')).toMatchObject({ from: '小明', to: '小红', text: '悄悄话' });
  });
});

describe('text mode commands', () => {
  it('hints to log in before login, for plain lines and for commands that need it', async () => {
    const { port } = await startServer();
    const bob = await TextClient.connect(port);
    bob.line('hello?');
    await bob.expect('Please log in first: login NAME');
    bob.line('who');
    await bob.expect('Please log in first: login NAME');
    bob.line('help');
    await bob.expect(/^Commands/);
    await bob.expect(/^ {2}login NAME/);
  });

  it('runs every command with or without "/" and in upper case', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    for (const who of ['who', '/who', 'WHO', '/Who']) {
      bob.line(who);
      await bob.expect('Online (2): alice, bob');
    }
    for (const look of ['look', '/look', 'LOOK']) {
      bob.line(look);
      await bob.expect('Room #main (2): alice, bob');
    }
    for (const rooms of ['rooms', '/rooms', 'ROOMS']) {
      bob.line(rooms);
      await bob.expect('Rooms: #main (2)');
    }
    for (const [n, say] of ['say one', '/say two', 'SAY three'].entries()) {
      bob.line(say);
      expect(await alice.next('message')).toMatchObject({ from: 'bob', text: ['one', 'two', 'three'][n] });
    }
    for (const me of ['me waves', '/me waves', 'ME waves']) {
      bob.line(me);
      expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'waves', action: true });
    }
    for (const msg of ['msg alice psst', '/msg alice psst', 'MSG alice psst']) {
      bob.line(msg);
      expect(await alice.next('private')).toMatchObject({ from: 'bob', to: 'alice', text: 'psst' });
      await bob.expect('-> alice: (private) psst');
    }
    for (const [nick, to] of [
      ['nick bert', 'bert'],
      ['/nick BOBBY', 'BOBBY'],
      ['NICK bob', 'bob'],
    ] as const) {
      bob.line(nick);
      expect(await alice.next('renamed')).toMatchObject({ to });
      await bob.expect(new RegExp(`is now known as ${to}\\.$`));
    }
    for (const [join, room] of [
      ['join #a', '#a'],
      ['/join b', '#b'],
      ['JOIN #Main', '#main'],
    ] as const) {
      bob.line(join);
      await bob.expect(new RegExp(`^Room ${room} \\(`));
    }
    for (const help of ['help', '/help', 'HELP']) {
      bob.line(help);
      await bob.expect(/^Commands/);
    }
  });

  it.each(['logout', '/logout', 'LOGOUT', 'quit', '/quit', 'QUIT'])('%j says goodbye, closes, and the room hears it', async (logout) => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    bob.line(logout);
    await bob.expect('Goodbye.');
    await bob.waitClosed();
    expect(await alice.next('left')).toMatchObject({ name: 'bob', reason: 'logout', clients: 1 });
  });

  it('says "who are you" instead of running who, and lets "/foo" be an unknown command', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    bob.line('who are you');
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'who are you' });
    bob.line('/foo');
    await bob.expect(/^Unknown command: foo/);
    bob.line('/who are you');
    await bob.expect('Usage: who');
    bob.line('foo');
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'foo' });
  });

  it('reports errors in words: unknown user, bad name', async () => {
    const { port } = await startServer();
    const bob = await TextClient.login(port, 'bob');
    bob.line('msg nobody hello');
    await bob.expect('No user named "nobody" is online.');
    bob.line('nick bad!name');
    await bob.expect(/name/i);
    bob.line('who');
    await bob.expect('Online (1): bob');
  });
});

describe('text and framed users together', () => {
  it('share the name map both ways, case-insensitively', async () => {
    const { port } = await startServer();
    await RawClient.login(port, 'alice');
    const text = await TextClient.connect(port);
    text.line('login alice');
    await text.expect('The name "alice" is taken.');
    text.line('login ALICE');
    await text.expect('The name "ALICE" is taken.');
    text.line('login bob');
    await text.expect(/^Welcome to test, bob!/);
    const framed = await RawClient.connect(port);
    framed.send({ type: 'hello', name: 'Bob' });
    expect(await framed.next('error')).toMatchObject({ code: 'name_taken' });
  });

  it('share the client count and the room lists', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    const carol = await TextClient.login(port, 'carol');
    expect(await alice.next('joined', (m) => m.name === 'carol')).toMatchObject({ clients: 3 });
    carol.line('join #side');
    await carol.expect('Room #side (1): carol');
    alice.send({ type: 'rooms' });
    expect(await alice.next('rooms')).toMatchObject({
      rooms: [
        { room: '#main', users: 3 },
        { room: '#side', users: 1 },
      ],
    });
    carol.line('rooms');
    await carol.expect('Rooms: #main (3), #side (1)');
    bob.line('who');
    await bob.expect('Online (3): alice, bob, carol');
  });

  it('see each other join, leave, rename and go to other rooms', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    expect(await alice.next('joined')).toMatchObject({ name: 'bob', room: '#main' });

    const dave = await RawClient.login(port, 'dave');
    await bob.expect('dave has entered the room.');
    dave.send({ type: 'nick', name: 'david' });
    await bob.expect('dave is now known as david.');
    dave.send({ type: 'part', room: '#main' });
    await bob.expect('david has left the room.');
    dave.close();

    bob.line('nick robert');
    expect(await alice.next('renamed', (m) => m.from === 'bob')).toMatchObject({ to: 'robert' });
    bob.line('join #rust');
    await bob.expect('Room #rust (1): robert');
    alice.send({ type: 'join', room: '#rust' });
    // robert is in two rooms: each line names its room.
    await bob.expect('[#rust] alice has entered the room.');
    alice.send({ type: 'say', room: '#rust', text: 'waves', action: true });
    await bob.expect('[#rust] * alice waves');
    bob.line('hello rust');
    expect(await alice.next('message', (m) => m.from === 'robert')).toMatchObject({ room: '#rust', text: 'hello rust' });
    bob.line('switch main');
    await bob.expect('Now talking in #main.');
    bob.line('hello main');
    expect(await alice.next('message', (m) => m.from === 'robert')).toMatchObject({ room: '#main', text: 'hello main' });
    alice.close();
    await bob.expect('[#main] alice has left the room.');
  });

  it('exchange private messages both ways', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    alice.send({ type: 'msg', to: 'bob', text: 'hi' });
    await bob.expect('alice: (private) hi');
    expect(await alice.next('private')).toMatchObject({ from: 'alice', to: 'bob', text: 'hi' }); // the sender's copy
    bob.line('msg alice hi yourself');
    expect(await alice.next('private')).toMatchObject({ from: 'bob', to: 'alice', text: 'hi yourself' });
    await bob.expect('-> alice: (private) hi yourself');
  });

  it('tells framed users when a text user drops without logging out', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    await alice.next('joined');
    bob.close();
    expect(await alice.next('left')).toMatchObject({ name: 'bob', reason: 'disconnect', clients: 1 });
  });
});
