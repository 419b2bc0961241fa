/**
 * Standard MessagePack only: our frames must be readable by another MessagePack library, and
 * frames another library writes must be readable by us. @msgpack/msgpack is that other library.
 */
import { decode as otherDecode, encode as otherEncode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import {
  decode,
  encode,
  encodeFrame,
  FrameDecoder,
  HEADER_BYTES,
  parseClientMessage,
  parseServerMessage,
  type ClientMessage,
  type ServerMessage,
} from '../../src/protocol/internal.js';

const SERVER_MESSAGES: ServerMessage[] = [
  {
    type: 'welcome',
    protocol: 2,
    server: 'chat.example',
    version: '0.1.0',
    software: 'framechat/0.1.0',
    you: '小明',
    address: '127.0.0.1:50312',
    rooms: [
      { room: '#main', topic: 'welcome all', users: ['alice', '小明'] },
      { room: '#rust', topic: '', users: ['小明'] },
    ],
    clients: 2,
    maxFrame: 65536,
    limits: { maxRooms: 20, text: 4096, topic: 512 },
    motd: 'be nice',
  },
  { type: 'message', id: 1, ts: 1_700_000_000_000, room: '#main', from: 'alice', text: 'hello' },
  { type: 'message', id: 2, ts: 1_700_000_000_001, room: '#main', from: 'alice', text: 'waves', action: true },
  { type: 'private', id: 3, ts: 1_700_000_000_002, from: 'alice', to: 'bob', text: 'psst' },
  { type: 'joined', ts: 1, room: '#rust', name: 'bob', host: '127.0.0.1', clients: 2 },
  { type: 'joined', ts: 1, room: '#rust', name: 'carol', clients: 3 },
  { type: 'left', ts: 2, room: '#rust', name: 'bob', reason: 'part', text: 'lunch', clients: 2 },
  { type: 'topic', room: '#rust', text: 'all about rust', by: 'carol', ts: 4 },
  { type: 'renamed', ts: 3, from: 'bob', to: 'robert' },
  { type: 'users', users: Array.from({ length: 40 }, (_, i) => `user${i}`), clients: 40 },
  { type: 'room', room: '#main', topic: '', users: ['alice'] },
  {
    type: 'rooms',
    rooms: [
      { room: '#main', users: 3, topic: 'hi' },
      { room: '#rust', users: 1, topic: '' },
    ],
  },
  { type: 'notice', text: 'Server is shutting down.' },
  { type: 'error', code: 'name_taken', message: 'The name "alice" is taken.', ref: 'hello' },
  { type: 'ping', token: 1_700_000_000_000 },
  { type: 'pong', token: 'abc' },
  { type: 'bye', reason: 'shutdown' },
];

const CLIENT_MESSAGES: ClientMessage[] = [
  { type: 'hello', name: 'alice', password: 'pw', client: 'py-bot/1.0' },
  { type: 'say', text: 'a'.repeat(4096) },
  { type: 'say', text: 'waves', action: true },
  { type: 'msg', to: '小明', text: '你好' },
  { type: 'who' },
  { type: 'look' },
  { type: 'rooms' },
  { type: 'join', room: '#rust' },
  { type: 'nick', name: 'bob' },
  { type: 'ping', token: 42 },
  { type: 'pong' },
  { type: 'logout', reason: 'bye now' },
];

describe('standard MessagePack on the wire', () => {
  it.each(SERVER_MESSAGES.map((m) => [m.type, m] as const))('another library reads our %s frame', (_type, message) => {
    const frame = encode(message);
    expect(frame.readUInt32BE(0)).toBe(frame.length - HEADER_BYTES);
    expect(otherDecode(frame.subarray(HEADER_BYTES), { useBigInt64: false })).toEqual(message);
  });

  it.each(CLIENT_MESSAGES.map((m) => [m.type, m] as const))(
    'we read and accept a %s frame written by another library',
    (_type, message) => {
      const frames: Buffer[] = [];
      new FrameDecoder((p) => frames.push(p)).push(encodeFrame(otherEncode(message)));
      expect(frames).toHaveLength(1);
      expect(parseClientMessage(decode(frames[0]!))).toEqual(message);
    },
  );

  it('we read server messages written by another library the way the bot API sees them', () => {
    for (const message of SERVER_MESSAGES) expect(parseServerMessage(decode(otherEncode(message)))).toEqual(message);
  });

  it('we read 64-bit integers another library writes for large numbers as plain numbers', () => {
    const payload = otherEncode({ type: 'pong', token: 2 ** 40 + 1 });
    expect(payload.includes(0xcf)).toBe(true); // uint64 on the wire
    expect(parseServerMessage(decode(payload))).toEqual({ type: 'pong', token: 2 ** 40 + 1 });
  });

  it('another library reads the strings, maps and arrays of every size class we write', () => {
    const message = {
      type: 'users',
      short: 'x'.repeat(31),
      str8: 'x'.repeat(200),
      str16: 'x'.repeat(60_000),
      str32: 'x'.repeat(70_000),
      array16: Array.from({ length: 300 }, (_, i) => i),
      map16: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
    };
    expect(otherDecode(encode(message).subarray(HEADER_BYTES))).toEqual(message);
  });
});
