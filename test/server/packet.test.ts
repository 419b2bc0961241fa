/**
 * Packet: each encoding made once however many sessions read it (the same Buffer every time),
 * and a private message read differently by its sender and its recipient.
 */
import { describe, expect, it } from 'vitest';
import { decode, FrameDecoder, type ServerMessage } from '../../src/protocol/internal.js';
import { Packet } from '../../src/server/packet.js';

const ts = 1_700_000_000_000;
const said: ServerMessage = { type: 'message', id: 1, ts, room: '#main', from: 'alice', text: 'hello' };
const whisper: ServerMessage = { type: 'private', id: 2, ts, from: 'alice', to: 'bob', text: 'psst' };

function payloadOf(frame: Buffer): unknown {
  const payloads: Uint8Array[] = [];
  new FrameDecoder((p) => payloads.push(p)).push(frame);
  expect(payloads).toHaveLength(1);
  return decode(payloads[0]!);
}

describe('Packet', () => {
  it.each<[string, ServerMessage]>([
    ['a room message', said],
    ['a private message', whisper],
    ['a pong', { type: 'pong', token: 7 }],
    ['a notice', { type: 'notice', text: 'Server test is shutting down.' }],
  ])('encodes %s once, however many times its frame is read, and the frame decodes to it', (_what, message) => {
    const packet = new Packet(message);
    const first = packet.frame;
    for (let i = 0; i < 100; i++) expect(packet.frame).toBe(first);
    expect(payloadOf(first)).toEqual(message);
  });

  it.each<[string, ServerMessage, string, string]>([
    ['a room message', said, 'bob', 'alice: hello\r\n'],
    ['an action', { ...said, action: true, text: 'waves' }, 'bob', '* alice waves\r\n'],
    [
      'a join',
      { type: 'joined', ts, room: '#main', name: 'carol', host: '127.0.0.1', clients: 3 },
      'bob',
      'carol has entered the room.\r\n',
    ],
  ])('renders %s to text once for every viewer', (_what, message, viewer, text) => {
    const packet = new Packet(message);
    const first = packet.text(viewer);
    expect(first?.toString('utf8')).toBe(text);
    for (const other of ['alice', 'bob', 'carol', '']) expect(packet.text(other)).toBe(first);
  });

  it.each([
    ['the sender', 'alice', '-> bob: (private) psst\r\n'],
    ['the sender, in other case', 'ALICE', '-> bob: (private) psst\r\n'],
    ['the recipient', 'bob', 'alice: (private) psst\r\n'],
  ])('renders a private message for %s as its own line', (_who, viewer, text) => {
    const packet = new Packet(whisper);
    expect(packet.text(viewer)?.toString('utf8')).toBe(text);
    // Reading it as the other party first does not change what this viewer gets.
    packet.text(viewer === 'bob' ? 'alice' : 'bob');
    expect(packet.text(viewer)?.toString('utf8')).toBe(text);
  });

  it('has no text for a ping, and keeps saying so', () => {
    const packet = new Packet({ type: 'ping', token: 1 });
    expect(packet.text('bob')).toBeNull();
    expect(packet.text('bob')).toBeNull();
  });

  it('ends every line of a multi-line message with \\r\\n', () => {
    const refused = new Packet({ type: 'error', code: 'auth_failed', message: 'Wrong password.' });
    expect(refused.text('bob')?.toString('utf8')).toBe('Wrong password.\r\nThis server needs a password: login NAME PASSWORD\r\n');
  });
});
