/**
 * A reference model of the conversation between the server and one framed client that is alone on
 * it: given the pieces the client sent, it walks the server's replies and says where they differ
 * from what PROTOCOL.md promises. Alone, every frame's answer is fully determined (no one else can
 * take a name, say something or join), so the check is exact: one reply per frame, in order, with
 * the right content, until the client logs out, breaks the framing or runs out of error budget.
 *
 * Payloads are classified with the protocol module's own decode + parseClientMessage; the model
 * checks what the server does with them, not the validator itself (test/protocol does that).
 */
import {
  decode,
  foldName,
  MAIN_ROOM,
  parseClientMessage,
  ProtocolError,
  type ClientMessage,
  type ServerMessage,
} from '../../src/protocol/internal.js';
import { skeleton } from '../../src/protocol/skeleton.js';
import { compareNames } from '../../src/server/users.js';
import type { Piece } from './arbitraries.js';

export const END_TOKEN = 'fuzz-end';

export interface LoneLimits {
  maxFrame: number;
  maxPayloadErrors: number;
}

/** Does the client's stream end in a state where the closing ping can still be read as a frame? */
export function framingIntact(pieces: Piece[]): boolean {
  return pieces.every((p) => p.kind === 'frame');
}

class Mismatch extends Error {}

/** Returns undefined when `received` is exactly what the model expects, else the first difference. */
export function checkLoneConversation(pieces: Piece[], received: ServerMessage[], limits: LoneLimits): string | undefined {
  let at = 0;
  let me: string | undefined;
  /** The rooms the client is in, in the order joined (alone, each has only the client in it). */
  const rooms: string[] = [];
  let payloadErrors = 0;
  /** What the server calls a room: folded, and a look-alike of one that exists (or of #main) is that one. */
  const resolve = (room: string): string => {
    const folded = foldName(room);
    if (skeleton(folded) === skeleton(MAIN_ROOM)) return MAIN_ROOM;
    return rooms.find((r) => skeleton(r) === skeleton(folded)) ?? folded;
  };
  const MAX_ROOMS = 20;

  const take = (what: string): ServerMessage => {
    const m = received[at++];
    if (m === undefined) throw new Mismatch(`reply ${at - 1}: expected ${what}, but the server sent nothing more`);
    return m;
  };
  const expectMsg = (what: string, ok: (m: ServerMessage) => boolean): ServerMessage => {
    const m = take(what);
    if (!ok(m)) throw new Mismatch(`reply ${at - 1}: expected ${what}, got ${JSON.stringify(m)}`);
    return m;
  };
  const expectError = (code: string): void => {
    expectMsg(`error ${code}`, (m) => m.type === 'error' && m.code === code);
  };
  const expectEnd = (): undefined => {
    if (at !== received.length)
      throw new Mismatch(`expected the connection to end after reply ${at - 1}, got ${JSON.stringify(received.slice(at, at + 3))}`);
    return undefined;
  };

  /** One parsed message from a logged-in or not-yet-logged-in client. Returns false when the connection ends. */
  const answer = (m: ClientMessage): boolean => {
    // PROTOCOL.md: before login only hello, ping and logout; a pong gets not_logged_in too.
    const beforeLogin = m.type === 'hello' || m.type === 'ping' || m.type === 'logout';
    if (!beforeLogin && me === undefined) {
      expectError('not_logged_in');
      return true;
    }
    switch (m.type) {
      case 'pong':
        return true;
      case 'logout':
        expectMsg('bye', (r) => r.type === 'bye' && r.reason === 'logout');
        expectEnd();
        return false;
      case 'ping':
        expectMsg('pong', (r) => r.type === 'pong' && r.token === m.token);
        return true;
      case 'hello':
        if (me !== undefined) {
          expectError('already_logged_in');
        } else {
          expectMsg(
            'welcome',
            (r) =>
              r.type === 'welcome' &&
              r.you === m.name &&
              r.rooms.length === 1 &&
              r.rooms[0]!.room === MAIN_ROOM &&
              r.clients === 1 &&
              r.rooms[0]!.users.length === 1,
          );
          me = m.name;
          rooms.push(MAIN_ROOM);
          expectMsg(`history ${MAIN_ROOM}`, (r) => r.type === 'history' && r.room === MAIN_ROOM);
        }
        return true;
      case 'say': {
        if (m.room !== undefined && !rooms.includes(resolve(m.room))) expectError('not_in_room');
        else if (m.room === undefined && rooms.length === 0) expectError('not_in_room');
        else if (m.room === undefined && rooms.length > 1) expectError('bad_request');
        else {
          const room = m.room === undefined ? rooms[0]! : resolve(m.room);
          expectMsg(
            'own message',
            (r) => r.type === 'message' && r.from === me && r.text === m.text && r.room === room && !!r.action === !!m.action,
          );
        }
        return true;
      }
      case 'msg':
        if (foldName(m.to) === foldName(me!))
          expectMsg('private to self', (r) => r.type === 'private' && r.from === me && r.to === me && r.text === m.text);
        else expectError('no_such_user');
        return true;
      case 'who':
        expectMsg('users', (r) => r.type === 'users' && r.clients === 1 && r.users.length === 1 && r.users[0] === me);
        return true;
      case 'look': {
        const asked = m.room === undefined ? [...rooms] : [resolve(m.room)];
        if (asked.length === 0) expectError('not_in_room');
        for (const room of asked) {
          const here = rooms.includes(room);
          expectMsg(
            `room ${room}`,
            (r) => r.type === 'room' && r.room === room && r.users.length === (here ? 1 : 0) && (!here || r.users[0] === me),
          );
        }
        return true;
      }
      case 'rooms': {
        const sorted = [...rooms].sort(compareNames);
        expectMsg(
          'rooms',
          (r) => r.type === 'rooms' && r.rooms.length === sorted.length && r.rooms.every((x, i) => x.room === sorted[i] && x.users === 1),
        );
        return true;
      }
      case 'join': {
        const room = resolve(m.room);
        if (!rooms.includes(room)) {
          if (rooms.length >= MAX_ROOMS) {
            expectError('too_many_rooms');
            return true;
          }
          rooms.push(room);
        }
        expectMsg(`room ${room}`, (r) => r.type === 'room' && r.room === room && r.users.length === 1 && r.users[0] === me);
        expectMsg(`history ${room}`, (r) => r.type === 'history' && r.room === room);
        return true;
      }
      case 'history': {
        if (m.with !== undefined) expectMsg('private history', (r) => r.type === 'history' && r.with === m.with && r.messages.length === 0);
        else if (!rooms.includes(resolve(m.room!))) expectError('not_in_room');
        else expectMsg(`history ${m.room}`, (r) => r.type === 'history' && r.room === resolve(m.room!));
        return true;
      }
      case 'search': {
        if (m.room !== undefined && !rooms.includes(resolve(m.room))) expectError('not_in_room');
        else expectMsg('results', (r) => r.type === 'results');
        return true;
      }
      case 'part': {
        const room = resolve(m.room);
        if (!rooms.includes(room)) expectError('not_in_room');
        else {
          rooms.splice(rooms.indexOf(room), 1);
          expectMsg(`left ${room}`, (r) => r.type === 'left' && r.room === room && r.name === me && r.reason === 'part');
        }
        return true;
      }
      case 'topic': {
        const room = resolve(m.room);
        if (m.text === undefined) expectMsg('topic', (r) => r.type === 'topic' && r.room === room);
        else if (!rooms.includes(room)) expectError('not_in_room');
        else expectMsg('topic set', (r) => r.type === 'topic' && r.room === room && r.text === m.text && r.by === me);
        return true;
      }
      case 'register':
      case 'passwd':
      case 'unregister':
        // Accounts have their own tests (test/server/accounts.test.ts); here: one answer, of these kinds.
        expectMsg(`${m.type} answer`, (r) => r.type === 'registered' || r.type === 'notice' || r.type === 'error');
        return true;
      case 'kick':
      case 'ban':
      case 'unban':
      case 'bans':
      case 'mute':
      case 'unmute':
        // A lone client is an operator of nothing (test/server/moderation.test.ts has the rest).
        expectError('not_operator');
        return true;
      case 'nick': {
        const from = me!;
        expectMsg('renamed', (r) => r.type === 'renamed' && r.from === from && r.to === m.name);
        me = m.name;
        return true;
      }
    }
  };

  try {
    for (const piece of pieces) {
      switch (piece.kind) {
        case 'frame': {
          if (piece.payload.length > limits.maxFrame) {
            expectError('frame_too_large');
            return expectEnd();
          }
          let message: ClientMessage;
          try {
            message = parseClientMessage(decode(piece.payload));
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
            expectError(err.code);
            if (++payloadErrors > limits.maxPayloadErrors) {
              expectMsg('bye too_many_errors', (r) => r.type === 'bye' && r.reason === 'too_many_errors');
              return expectEnd();
            }
            continue;
          }
          if (!answer(message)) return undefined;
          break;
        }
        case 'zero':
          expectError('bad_frame');
          return expectEnd();
        case 'oversized':
          expectError('frame_too_large');
          return expectEnd();
        case 'truncated':
          // The server waits for the rest of the body; our half-close ends it without a word.
          return expectEnd();
        case 'skewed':
        case 'garbage':
          // Out of sync from here: what follows is checked only for being valid frames.
          return undefined;
      }
    }
    expectMsg('closing pong', (r) => r.type === 'pong' && r.token === END_TOKEN);
    return expectEnd();
  } catch (err) {
    if (err instanceof Mismatch) return err.message;
    throw err;
  }
}
