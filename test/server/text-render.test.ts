import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/protocol/internal.js';
import { LOGIN_HINT } from '../../src/server/text/commands.js';
import { renderText } from '../../src/server/text/render.js';

const ts = 1_700_000_000_000;

describe('renderText', () => {
  it.each<[string, ServerMessage, string[]]>([
    ['a message', { type: 'message', id: 1, ts, room: '#main', from: 'alice', text: 'hello' }, ['alice: hello']],
    ['an action', { type: 'message', id: 1, ts, room: '#main', from: 'alice', text: 'waves', action: true }, ['* alice waves']],
    ['unicode', { type: 'message', id: 1, ts, room: '#main', from: '小明', text: '你好' }, ['小明: 你好']],
    ['a private message received', { type: 'private', id: 2, ts, from: 'alice', to: 'bob', text: 'hi' }, ['alice: (private) hi']],
    ['a joined', { type: 'joined', ts, room: '#main', name: 'alice', host: '127.0.0.1', clients: 2 }, ['alice has entered the room.']],
    ['a logout', { type: 'left', ts, room: '#main', name: 'alice', reason: 'logout', clients: 1 }, ['alice has left the room.']],
    ['a disconnect', { type: 'left', ts, room: '#main', name: 'alice', reason: 'disconnect', clients: 1 }, ['alice has left the room.']],
    ['a part', { type: 'left', ts, room: '#main', name: 'alice', reason: 'part', clients: 1 }, ['alice has left the room.']],
    [
      'a part with a reason',
      { type: 'left', ts, room: '#main', name: 'alice', reason: 'part', text: 'lunch', clients: 1 },
      ['alice has left the room: lunch.'],
    ],
    ['your own part', { type: 'left', ts, room: '#rust', name: 'bob', reason: 'part', clients: 1 }, ['You have left #rust.']],
    ['a topic set', { type: 'topic', ts, room: '#main', text: 'be nice', by: 'alice' }, ['alice set the topic of #main: be nice']],
    ['a topic cleared', { type: 'topic', ts, room: '#main', text: '', by: 'alice' }, ['alice cleared the topic of #main.']],
    ['a topic asked for', { type: 'topic', ts: 0, room: '#main', text: 'be nice', by: '' }, ['Topic for #main: be nice']],
    ['no topic', { type: 'topic', ts: 0, room: '#main', text: '', by: '' }, ['#main has no topic.']],
    [
      'a timeout',
      { type: 'left', ts, room: '#main', name: 'alice', reason: 'timeout', clients: 1 },
      ['alice has left the room (timeout).'],
    ],
    [
      'a slow reader',
      { type: 'left', ts, room: '#main', name: 'alice', reason: 'sendq_exceeded', clients: 1 },
      ['alice has left the room (sendq exceeded).'],
    ],
    ['a rename', { type: 'renamed', ts, from: 'alice', to: 'carol' }, ['alice is now known as carol.']],
    ['who', { type: 'users', users: ['alice', 'bob'], clients: 2 }, ['Online (2): alice, bob']],
    ['look', { type: 'room', room: '#main', topic: '', users: ['alice', 'bob'] }, ['Room #main (2): alice, bob']],
    ['an empty room', { type: 'room', room: '#x', topic: '', users: [] }, ['Room #x (0): (nobody)']],
    [
      'rooms',
      {
        type: 'rooms',
        rooms: [
          { room: '#main', users: 2, topic: '' },
          { room: '#rust', users: 1, topic: '' },
        ],
      },
      ['Rooms: #main (2), #rust (1)'],
    ],
    ['no rooms', { type: 'rooms', rooms: [] }, ['Rooms: (none)']],
    ['a notice', { type: 'notice', text: 'restarting soon' }, ['*** restarting soon']],
    [
      'a name taken',
      { type: 'error', code: 'name_taken', message: 'The name "alice" is taken.', ref: 'hello' },
      ['The name "alice" is taken.'],
    ],
    [
      'not logged in, in text-mode words',
      { type: 'error', code: 'not_logged_in', message: 'Please log in first (hello / login NAME).' },
      [LOGIN_HINT],
    ],
    [
      'a wrong password, with how to give one',
      { type: 'error', code: 'auth_failed', message: 'Wrong server password.', ref: 'hello' },
      ['Wrong server password.', 'This server needs a password: login NAME PASSWORD'],
    ],
    ['a bye', { type: 'bye', reason: 'logout' }, ['Goodbye.']],
    ['a shutdown bye', { type: 'bye', reason: 'shutdown' }, ['The server is shutting down. Goodbye.']],
    ['a server ping (nothing: a person cannot answer it)', { type: 'ping', token: 1 }, []],
  ])('renders %s', (_what, message, lines) => {
    expect(renderText(message, 'bob')).toEqual(lines);
  });

  it.each<[string, ServerMessage, string[]]>([
    ['a message', { type: 'message', id: 1, ts, room: '#rust', from: 'alice', text: 'hi' }, ['[#rust] alice: hi']],
    ['a joined', { type: 'joined', ts, room: '#rust', name: 'alice', clients: 2 }, ['[#rust] alice has entered the room.']],
    ['a topic', { type: 'topic', ts, room: '#rust', text: 't', by: 'alice' }, ['[#rust] alice set the topic of #rust: t']],
    ['a private message (no room)', { type: 'private', id: 2, ts, from: 'alice', to: 'bob', text: 'hi' }, ['alice: (private) hi']],
  ])('names the room of %s for a user in several rooms', (_what, message, lines) => {
    expect(renderText(message, 'bob', true)).toEqual(lines);
  });

  it('shows the sender of a private message where it went', () => {
    const m: ServerMessage = { type: 'private', id: 3, ts, from: 'bob', to: 'alice', text: 'hi' };
    expect(renderText(m, 'bob')).toEqual(['-> alice: (private) hi']);
    expect(renderText(m, 'BOB')).toEqual(['-> alice: (private) hi']);
    expect(renderText(m, 'alice')).toEqual(['bob: (private) hi']);
  });

  it('welcomes with the room, its people and the message of the day', () => {
    const welcome: ServerMessage = {
      type: 'welcome',
      protocol: 2,
      server: 'test',
      version: '0.1.0',
      you: 'bob',
      address: '127.0.0.1:1',
      rooms: [
        { room: '#main', topic: 'be kind', users: ['alice', 'bob'] },
        { room: '#rust', topic: '', users: ['bob'] },
      ],
      clients: 2,
      maxFrame: 65536,
      limits: { maxRooms: 20, text: 4096, topic: 512 },
      motd: 'be nice\nno spam',
    };
    expect(renderText(welcome, 'bob')).toEqual([
      'Welcome to test, bob! You are in #main with 2 users: alice, bob; #rust with 1 user: bob. Type "help" for commands.',
      'Topic for #main: be kind',
      '*** be nice',
      '*** no spam',
    ]);
  });
});
