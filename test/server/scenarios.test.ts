/**
 * One table of scenarios run through a framed client and a text-mode client (as hono runs one
 * suite against every runtime adapter), so that the two modes cannot drift apart: each scenario
 * says what the subject does and sees in words of neither mode, and a framed peer checks what
 * everyone else sees. The two adapters below are the only place that knows how each mode looks.
 */
import { describe, expect, it } from 'vitest';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

/** What the subject sees, in neither mode's words. */
type Seen =
  | { welcome: { room: string; users: string[] } }
  | { said: [from: string, text: string] }
  /** A line in `room`, seen by a subject in several rooms (text mode names the room). */
  | { saidIn: [room: string, from: string, text: string] }
  | { joinedIn: [room: string, name: string] }
  | { action: [from: string, text: string] }
  | { private: [from: string, to: string, text: string] }
  | { renamed: [from: string, to: string] }
  | { joined: string }
  | { left: [name: string, reason: 'part' | 'logout'] }
  /** The subject's own part, answered to it. */
  | { parted: string }
  | { users: string[] }
  | { room: [room: string, users: string[]] }
  | { bye: true };

interface Subject {
  say(text: string): void;
  me(text: string): void;
  msg(to: string, text: string): void;
  nick(name: string): void;
  join(room: string): void;
  part(room: string): void;
  who(): void;
  look(): void;
  logout(): void;
  sees(seen: Seen): Promise<void>;
  waitClosed(): Promise<unknown>;
}

interface Adapter {
  mode: string;
  login(port: number, name: string): Promise<Subject>;
}

const framed: Adapter = {
  mode: 'framed',
  async login(port, name) {
    const client = await RawClient.connect(port);
    client.send({ type: 'hello', name });
    const expectNext = async (type: string, fields: Record<string, unknown>): Promise<void> => {
      const message = await client.next(type);
      expect(message).toMatchObject(fields);
      if (type === 'message') expect(message['action'] === true).toBe(fields['action'] === true);
    };
    return {
      say: (text) => client.send({ type: 'say', text }),
      me: (text) => client.send({ type: 'say', text, action: true }),
      msg: (to, text) => client.send({ type: 'msg', to, text }),
      nick: (to) => client.send({ type: 'nick', name: to }),
      join: (room) => client.send({ type: 'join', room }),
      part: (room) => client.send({ type: 'part', room }),
      who: () => client.send({ type: 'who' }),
      look: () => client.send({ type: 'look' }),
      logout: () => client.send({ type: 'logout' }),
      waitClosed: () => client.waitClosed(),
      async sees(seen) {
        if ('welcome' in seen)
          return expectNext('welcome', { you: name, rooms: [{ room: seen.welcome.room, topic: '', users: seen.welcome.users }] });
        if ('saidIn' in seen) return expectNext('message', { room: seen.saidIn[0], from: seen.saidIn[1], text: seen.saidIn[2] });
        if ('joinedIn' in seen) return expectNext('joined', { room: seen.joinedIn[0], name: seen.joinedIn[1] });
        if ('parted' in seen) return expectNext('left', { room: seen.parted, name, reason: 'part' });
        if ('said' in seen) return expectNext('message', { from: seen.said[0], text: seen.said[1] });
        if ('action' in seen) return expectNext('message', { from: seen.action[0], text: seen.action[1], action: true });
        if ('private' in seen) return expectNext('private', { from: seen.private[0], to: seen.private[1], text: seen.private[2] });
        if ('renamed' in seen) return expectNext('renamed', { from: seen.renamed[0], to: seen.renamed[1] });
        if ('joined' in seen) return expectNext('joined', { name: seen.joined });
        if ('left' in seen) return expectNext('left', { name: seen.left[0], reason: seen.left[1] });
        if ('users' in seen) return expectNext('users', { users: seen.users, clients: seen.users.length });
        if ('room' in seen) return expectNext('room', { room: seen.room[0], users: seen.room[1] });
        return expectNext('bye', { reason: 'logout' });
      },
    };
  },
};

const text: Adapter = {
  mode: 'text',
  async login(port, name) {
    const client = await TextClient.connect(port);
    client.line(`login ${name}`);
    const names = (users: string[]): string => users.join(', ');
    let me = name;
    const lineFor = (seen: Seen): string => {
      if ('welcome' in seen) {
        const { room, users } = seen.welcome;
        return `Welcome to test, ${name}! You are in ${room} with ${users.length} users: ${names(users)}. Type "help" for commands.`;
      }
      if ('said' in seen) return `${seen.said[0]}: ${seen.said[1]}`;
      if ('saidIn' in seen) return `[${seen.saidIn[0]}] ${seen.saidIn[1]}: ${seen.saidIn[2]}`;
      if ('joinedIn' in seen) return `[${seen.joinedIn[0]}] ${seen.joinedIn[1]} has entered the room.`;
      if ('parted' in seen) return `You have left ${seen.parted}.`;
      if ('action' in seen) return `* ${seen.action[0]} ${seen.action[1]}`;
      if ('private' in seen) {
        const [from, to, words] = seen.private;
        return from === me ? `-> ${to}: (private) ${words}` : `${from}: (private) ${words}`;
      }
      if ('renamed' in seen) {
        if (seen.renamed[0] === me) me = seen.renamed[1];
        return `${seen.renamed[0]} is now known as ${seen.renamed[1]}.`;
      }
      if ('joined' in seen) return `${seen.joined} has entered the room.`;
      if ('left' in seen) return `${seen.left[0]} has left the room.`;
      if ('users' in seen) return `Online (${seen.users.length}): ${names(seen.users)}`;
      if ('room' in seen) return `Room ${seen.room[0]} (${seen.room[1].length}): ${names(seen.room[1])}`;
      return 'Goodbye.';
    };
    return {
      say: (words) => client.line(words),
      me: (words) => client.line(`/me ${words}`),
      msg: (to, words) => client.line(`/msg ${to} ${words}`),
      nick: (to) => client.line(`/nick ${to}`),
      join: (room) => client.line(`/join ${room}`),
      part: (room) => client.line(`/part ${room}`),
      who: () => client.line('/who'),
      look: () => client.line('/look'),
      logout: () => client.line('/quit'),
      waitClosed: () => client.waitClosed(),
      async sees(seen) {
        await client.expect(lineFor(seen));
      },
    };
  },
};

interface Scenario {
  what: string;
  /** `sam` (framed or text) has just logged in to #main, where `pat` (framed) already is. */
  run(sam: Subject, pat: RawClient): Promise<void>;
}

const SCENARIOS: Scenario[] = [
  {
    what: 'logging in: a welcome naming the room and its users, and a join for the others',
    run: async (sam, pat) => {
      await sam.sees({ welcome: { room: '#main', users: ['pat', 'sam'] } });
      expect(await pat.next('joined')).toMatchObject({ room: '#main', name: 'sam', clients: 2 });
    },
  },
  {
    what: 'chatting in the room: the line comes back to the sender and goes to the others',
    run: async (sam, pat) => {
      sam.say('hello there');
      await sam.sees({ said: ['sam', 'hello there'] });
      expect(await pat.next('message')).toMatchObject({ room: '#main', from: 'sam', text: 'hello there' });
      pat.send({ type: 'say', text: 'hi sam' });
      await sam.sees({ said: ['pat', 'hi sam'] });
    },
  },
  {
    what: '/me: an action, for the sender and the others',
    run: async (sam, pat) => {
      sam.me('waves');
      await sam.sees({ action: ['sam', 'waves'] });
      expect(await pat.next('message')).toMatchObject({ from: 'sam', text: 'waves', action: true });
      pat.send({ type: 'say', text: 'nods', action: true });
      await sam.sees({ action: ['pat', 'nods'] });
    },
  },
  {
    what: 'a private message, both ways, with a copy for the sender',
    run: async (sam, pat) => {
      sam.msg('pat', 'psst');
      await sam.sees({ private: ['sam', 'pat', 'psst'] });
      expect(await pat.next('private')).toMatchObject({ from: 'sam', to: 'pat', text: 'psst' });
      pat.send({ type: 'msg', to: 'sam', text: 'what?' });
      await sam.sees({ private: ['pat', 'sam', 'what?'] });
    },
  },
  {
    what: 'renaming: everyone hears it, and the new name is used from then on',
    run: async (sam, pat) => {
      sam.nick('sid');
      await sam.sees({ renamed: ['sam', 'sid'] });
      expect(await pat.next('renamed')).toMatchObject({ from: 'sam', to: 'sid' });
      sam.say('same person');
      expect(await pat.next('message')).toMatchObject({ from: 'sid', text: 'same person' });
      pat.send({ type: 'msg', to: 'sid', text: 'welcome back' });
      await sam.sees({ private: ['pat', 'sid', 'welcome back'] });
    },
  },
  {
    what: 'joining another room: its members listed, both rooms heard, each line naming its room',
    run: async (sam, pat) => {
      sam.join('#side');
      await sam.sees({ room: ['#side', ['sam']] });
      pat.send({ type: 'say', text: 'still in main' });
      await sam.sees({ saidIn: ['#main', 'pat', 'still in main'] });
      pat.send({ type: 'join', room: '#side' });
      await sam.sees({ joinedIn: ['#side', 'pat'] });
      pat.send({ type: 'say', room: '#side', text: 'now in side' });
      await sam.sees({ saidIn: ['#side', 'pat', 'now in side'] });
    },
  },
  {
    what: 'parting a room: the subject told, the room told, the other room kept',
    run: async (sam, pat) => {
      sam.join('#side');
      await sam.sees({ room: ['#side', ['sam']] });
      sam.part('#main');
      await sam.sees({ parted: '#main' });
      expect(await pat.next('left')).toMatchObject({ room: '#main', name: 'sam', reason: 'part' });
      pat.send({ type: 'join', room: '#side' });
      await sam.sees({ joined: 'pat' });
      pat.send({ type: 'say', room: '#side', text: 'found you' });
      await sam.sees({ said: ['pat', 'found you'] });
    },
  },
  {
    what: 'who and look: everyone on the server, and this room',
    run: async (sam, pat) => {
      sam.who();
      await sam.sees({ users: ['pat', 'sam'] });
      sam.look();
      await sam.sees({ room: ['#main', ['pat', 'sam']] });
      pat.send({ type: 'part', room: '#main' });
      await pat.next('left');
      await sam.sees({ left: ['pat', 'part'] });
      sam.who();
      await sam.sees({ users: ['pat', 'sam'] });
      sam.look();
      await sam.sees({ room: ['#main', ['sam']] });
    },
  },
  {
    what: 'logging out: a goodbye, the connection closed, the room told',
    run: async (sam, pat) => {
      sam.logout();
      await sam.sees({ bye: true });
      await sam.waitClosed();
      expect(await pat.next('left')).toMatchObject({ name: 'sam', reason: 'logout', clients: 1 });
    },
  },
];

describe.each([framed, text])('through a $mode client', (adapter) => {
  it.each(SCENARIOS.map((s) => [s.what, s] as const))('%s', async (_what, scenario) => {
    const { port } = await startServer();
    const pat = await RawClient.login(port, 'pat');
    const sam = await adapter.login(port, 'sam');
    if (scenario !== SCENARIOS[0]) await pat.next('joined', (m) => m.name === 'sam');
    await scenario.run(sam, pat);
  });
});
