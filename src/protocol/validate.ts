/**
 * @module
 * Runtime validation of everything a peer sends. Each parser takes the decoded MessagePack value
 * (unknown) and returns a fresh, typed object holding only the known fields, or throws
 * ProtocolError with the code PROTOCOL.md names. Unknown extra fields are ignored.
 */
import { isIP } from 'node:net';
import { ProtocolError } from './errors.js';
import {
  LEFT_REASONS,
  DEFAULT_MAX_ROOMS_PER_USER,
  MAX_LABEL_BYTES,
  MAX_QUERY_BYTES,
  MAX_PASSWORD_BYTES,
  MAX_TEXT_BYTES,
  MAX_TOPIC_BYTES,
  MAX_BAN_SECONDS,
  type BanEntry,
  type ClientMessage,
  type ModeratedMsg,
  type ErrorCode,
  type LeftReason,
  type MessageMsg,
  type PrivateMsg,
  type ServerMessage,
} from './messages.js';
import { isValidName, isValidRoom } from './names.js';

const MAX_TOKEN_CHARS = 64;
const MAX_SHORT_CHARS = 256;
// C0 controls except tab, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

type Fields = Record<string, unknown>;

function isMap(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function fail(code: ErrorCode, message: string, ref: string): never {
  throw new ProtocolError(code, message, ref);
}

/** Why a chat text is refused, or undefined when it is acceptable. */
export function textProblem(text: unknown): { code: ErrorCode; message: string } | undefined {
  if (typeof text !== 'string' || text.length === 0) return { code: 'bad_text', message: 'text must be a non-empty string' };
  if (text.length > MAX_TEXT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) {
    return { code: 'text_too_long', message: `text is over ${MAX_TEXT_BYTES} bytes` };
  }
  if (CONTROL_RE.test(text)) return { code: 'bad_text', message: 'text may not contain control characters' };
  return undefined;
}

/** Why a topic is refused, or undefined: like text, but at most 512 bytes and may be empty. */
export function topicProblem(topic: unknown): { code: ErrorCode; message: string } | undefined {
  if (typeof topic !== 'string') return { code: 'bad_text', message: 'topic must be a string' };
  if (topic.length > MAX_TOPIC_BYTES || Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) {
    return { code: 'text_too_long', message: `topic is over ${MAX_TOPIC_BYTES} bytes` };
  }
  if (CONTROL_RE.test(topic)) return { code: 'bad_text', message: 'topic may not contain control characters' };
  return undefined;
}

/** A `#room` field, NFC; bad_room when it is not "#" + a valid name. */
function room(v: Fields, ref: string, field = 'room'): string {
  const value = v[field];
  if (!isValidRoom(value)) fail('bad_room', `${field} must be "#" followed by 1-32 letters, digits, "_", "-" or "."`, ref);
  return value.normalize('NFC');
}

function optionalRoom(v: Fields, ref: string): string | undefined {
  return v['room'] === undefined || v['room'] === null ? undefined : room(v, ref);
}

/** hello.rooms: a list of rooms, at most a few times the per-user limit (the handler checks the limit). */
function roomList(v: Fields, ref: string): string[] | undefined {
  const value = v['rooms'];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > DEFAULT_MAX_ROOMS_PER_USER * 5)
    fail('bad_request', `rooms must be a list of at most ${DEFAULT_MAX_ROOMS_PER_USER * 5} rooms`, ref);
  return value.map((r: unknown) => {
    if (!isValidRoom(r)) fail('bad_room', 'every room must be "#" followed by 1-32 letters, digits, "_", "-" or "."', ref);
    return r.normalize('NFC');
  });
}

/** An optional id or count: a whole number from 0 to 2^53-1. */
function optionalId(v: Fields, field: string, ref: string): number | undefined {
  const value = v[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail('bad_request', `${field} must be a whole number >= 0`, ref);
  return value;
}

/** hello.since: room → last id seen, for at most as many rooms as hello.rooms may name. */
function sinceMap(v: Fields, ref: string): Record<string, number> | undefined {
  const value = v['since'];
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) fail('bad_request', 'since must be a map of room to message id', ref);
  const entries = Object.entries(value);
  if (entries.length > DEFAULT_MAX_ROOMS_PER_USER * 5)
    fail('bad_request', `since names more than ${DEFAULT_MAX_ROOMS_PER_USER * 5} rooms`, ref);
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [r, id] of entries) {
    if (!isValidRoom(r)) fail('bad_room', 'every room of since must be "#" followed by 1-32 letters, digits, "_", "-" or "."', ref);
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) fail('bad_request', 'since ids must be whole numbers >= 0', ref);
    out[r.normalize('NFC')] = id;
  }
  return out;
}

function text(v: Fields, ref: string, field = 'text'): string {
  const problem = textProblem(v[field]);
  if (problem) fail(problem.code, problem.message, ref);
  return v[field] as string;
}

function name(v: Fields, field: string, ref: string): string {
  const value = v[field];
  if (!isValidName(value)) {
    fail('bad_name', `${field} must be 1-32 letters, digits, "_", "-" or "."`, ref);
  }
  return value.normalize('NFC');
}

function optionalString(v: Fields, field: string, ref: string, max = MAX_SHORT_CHARS): string | undefined {
  const value = v[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) fail('bad_request', `${field} must be a string of at most ${max} characters`, ref);
  return value;
}

function optionalToken(v: Fields, ref: string): string | number | undefined {
  const token = v['token'];
  if (token === undefined || token === null) return undefined;
  if (typeof token === 'number' && Number.isFinite(token)) return token;
  if (typeof token === 'string' && token.length <= MAX_TOKEN_CHARS) return token;
  return fail('bad_request', `token must be a number or a string of at most ${MAX_TOKEN_CHARS} characters`, ref);
}

function typeOf(value: unknown): string {
  if (!isMap(value)) throw new ProtocolError('bad_frame', 'payload must be a MessagePack map');
  const type = value['type'];
  if (typeof type !== 'string') throw new ProtocolError('bad_frame', 'payload map needs a string "type"');
  return type;
}

/**
 * A request's `label`, when it has a valid one (a string of at most MAX_LABEL_BYTES bytes); for
 * the refusal of a request that did not parse, so that even its error can carry the label.
 */
export function labelOf(value: unknown): string | undefined {
  if (!isMap(value)) return undefined;
  const label = value['label'];
  return typeof label === 'string' && label.length <= MAX_LABEL_BYTES && Buffer.byteLength(label, 'utf8') <= MAX_LABEL_BYTES
    ? label
    : undefined;
}

/** Validate a message a client sent to the server. */
export function parseClientMessage(value: unknown): ClientMessage {
  const type = typeOf(value);
  const v = value as Fields;
  const message = parseRequest(type, v);
  const label = v['label'];
  if (label === undefined || label === null) return message;
  if (labelOf(v) === undefined) fail('bad_request', `label must be a string of at most ${MAX_LABEL_BYTES} bytes`, message.type);
  message.label = label as string;
  return message;
}

function parseRequest(type: string, v: Fields): ClientMessage {
  switch (type) {
    case 'hello': {
      const msg: ClientMessage = { type, name: name(v, 'name', type) };
      const password = optionalString(v, 'password', type);
      const client = optionalString(v, 'client', type, 64);
      const rooms = roomList(v, type);
      if (password !== undefined) msg.password = password;
      if (rooms !== undefined) msg.rooms = rooms;
      const since = sinceMap(v, type);
      if (since !== undefined) msg.since = since;
      if (client !== undefined) msg.client = client;
      const auth = v['auth'];
      if (auth !== undefined && auth !== null) {
        if (!isMap(auth)) fail('bad_request', 'auth must be a map {password}', type);
        msg.auth = { password: passwordField(auth, 'password', type) };
      }
      return msg;
    }
    case 'say': {
      const action = v['action'];
      if (action !== undefined && action !== null && typeof action !== 'boolean') fail('bad_request', 'action must be a boolean', type);
      const msg: ClientMessage = { type, text: text(v, type) };
      const where = optionalRoom(v, type);
      if (where !== undefined) msg.room = where;
      if (action === true) msg.action = true;
      return msg;
    }
    case 'msg':
      return { type, to: name(v, 'to', type), text: text(v, type) };
    case 'who':
    case 'rooms':
      return { type };
    case 'look': {
      const where = optionalRoom(v, type);
      return where === undefined ? { type } : { type, room: where };
    }
    case 'join': {
      const since = optionalId(v, 'since', type);
      return since === undefined ? { type, room: room(v, type) } : { type, room: room(v, type), since };
    }
    case 'history': {
      const msg: ClientMessage = { type };
      const hasRoom = v['room'] !== undefined && v['room'] !== null;
      const hasWith = v['with'] !== undefined && v['with'] !== null;
      if (hasRoom === hasWith) fail('bad_request', 'history needs "room" or "with" (one of them)', type);
      if (hasRoom) msg.room = room(v, type);
      else msg.with = name(v, 'with', type);
      const before = optionalId(v, 'before', type);
      const after = optionalId(v, 'after', type);
      if (before !== undefined && after !== undefined) fail('bad_request', 'history takes "before" or "after", not both', type);
      if (before !== undefined) msg.before = before;
      if (after !== undefined) msg.after = after;
      const limit = optionalId(v, 'limit', type);
      if (limit !== undefined) msg.limit = limit;
      return msg;
    }
    case 'search': {
      const query = v['text'];
      if (typeof query !== 'string' || query.trim().length === 0) fail('bad_text', 'search text must be a non-empty string', type);
      if (query.length > MAX_QUERY_BYTES || Buffer.byteLength(query, 'utf8') > MAX_QUERY_BYTES)
        fail('text_too_long', `search text is over ${MAX_QUERY_BYTES} bytes`, type);
      if (CONTROL_RE.test(query)) fail('bad_text', 'search text may not contain control characters', type);
      const msg: ClientMessage = { type, text: query };
      const where = optionalRoom(v, type);
      if (where !== undefined) msg.room = where;
      if (v['from'] !== undefined && v['from'] !== null) msg.from = name(v, 'from', type);
      const before = optionalId(v, 'before', type);
      if (before !== undefined) msg.before = before;
      const limit = optionalId(v, 'limit', type);
      if (limit !== undefined) msg.limit = limit;
      return msg;
    }
    case 'part': {
      const reason = optionalString(v, 'reason', type);
      if (reason !== undefined && textProblem(reason)) fail('bad_text', 'reason must be text without control characters', type);
      return reason === undefined ? { type, room: room(v, type) } : { type, room: room(v, type), reason };
    }
    case 'topic': {
      const where = room(v, type);
      const topic = v['text'];
      if (topic === undefined || topic === null) return { type, room: where };
      const problem = topicProblem(topic);
      if (problem) fail(problem.code, problem.message, type);
      return { type, room: where, text: topic as string };
    }
    case 'nick':
      return { type, name: name(v, 'name', type) };
    case 'ping':
    case 'pong': {
      const token = optionalToken(v, type);
      return token === undefined ? { type } : { type, token };
    }
    case 'logout': {
      const reason = optionalString(v, 'reason', type);
      return reason === undefined ? { type } : { type, reason };
    }
    case 'register':
    case 'passwd':
    case 'unregister':
      return parseAccountRequest(type, v);
    case 'kick':
    case 'ban':
    case 'unban':
    case 'bans':
    case 'mute':
    case 'unmute':
      return parseModerationRequest(type, v);
    default:
      throw new ProtocolError('unknown_type', `unknown message type "${type.slice(0, 32)}"`, type.slice(0, 32));
  }
}

// ---- accounts -------------------------------------------------------------------------------

/**
 * A password field: a non-empty string of at most MAX_PASSWORD_BYTES of UTF-8, refused here,
 * before any hashing, so a megabyte "password" never reaches scrypt. Its value is never put in
 * an error message.
 */
function passwordField(v: Fields, field: string, ref: string): string {
  const value = v[field];
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_PASSWORD_BYTES ||
    Buffer.byteLength(value, 'utf8') > MAX_PASSWORD_BYTES
  )
    fail('bad_request', `${field} must be a non-empty string of at most ${MAX_PASSWORD_BYTES} bytes`, ref);
  return value;
}

function parseAccountRequest(type: 'register' | 'passwd' | 'unregister', v: Fields): ClientMessage {
  switch (type) {
    case 'register':
      return { type, password: passwordField(v, 'password', type) };
    case 'passwd':
      return { type, old: passwordField(v, 'old', type), new: passwordField(v, 'new', type) };
    case 'unregister':
      return { type, password: passwordField(v, 'password', type) };
  }
}

// ---- end accounts ---------------------------------------------------------------------------

// ---- moderation -----------------------------------------------------------------------------

function optionalName(v: Fields, field: string, ref: string): string | undefined {
  return v[field] === undefined || v[field] === null ? undefined : name(v, field, ref);
}

/** A reason: at most 256 characters of text rules (no control characters). */
function reasonField(v: Fields, ref: string): string | undefined {
  const reason = optionalString(v, 'reason', ref);
  if (reason !== undefined && textProblem(reason)) fail('bad_text', 'reason must be text without control characters', ref);
  return reason;
}

/** Seconds: a whole number from 1 to MAX_BAN_SECONDS. */
function durationField(v: Fields, ref: string): number | undefined {
  const value = v['duration'];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_BAN_SECONDS)
    fail('bad_request', `duration must be a whole number of seconds from 1 to ${MAX_BAN_SECONDS}`, ref);
  return value;
}

/** An IPv4 or IPv6 address (no port, no zone); the server bans its group (an IPv6 /64). */
function addressField(v: Fields, ref: string): string | undefined {
  const value = v['address'];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > 45 || isIP(value) === 0)
    fail('bad_request', 'address must be an IPv4 or IPv6 address, such as 192.0.2.7 or 2001:db8::1', ref);
  return value;
}

/** A ban's target: exactly one of `name` and `address`. */
function banTarget(v: Fields, ref: string): { name: string } | { address: string } {
  const who = optionalName(v, 'name', ref);
  const address = addressField(v, ref);
  if ((who === undefined) === (address === undefined)) fail('bad_request', `${ref} needs exactly one of name and address`, ref);
  return who !== undefined ? { name: who } : { address: address! };
}

function withOptional<T extends object>(base: T, extra: Record<string, unknown>): T {
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) (base as Record<string, unknown>)[key] = value;
  return base;
}

function parseModerationRequest(type: 'kick' | 'ban' | 'unban' | 'bans' | 'mute' | 'unmute', v: Fields): ClientMessage {
  switch (type) {
    case 'kick':
      return withOptional({ type, name: name(v, 'name', type) }, { room: optionalRoom(v, type), reason: reasonField(v, type) });
    case 'ban':
      return withOptional(
        { type, ...banTarget(v, type) },
        { room: optionalRoom(v, type), duration: durationField(v, type), reason: reasonField(v, type) },
      );
    case 'unban':
      return withOptional({ type, ...banTarget(v, type) }, { room: optionalRoom(v, type) });
    case 'bans':
      return withOptional({ type }, { room: optionalRoom(v, type) });
    case 'mute':
      return withOptional({ type, room: room(v, type), name: name(v, 'name', type) }, { duration: durationField(v, type) });
    case 'unmute':
      return { type, room: room(v, type), name: name(v, 'name', type) };
  }
}

// ---- end moderation -------------------------------------------------------------------------

// ---- server → client: the client trusts the server less than blindly ------------------------

function str(v: Fields, field: string, ref: string): string {
  const value = v[field];
  if (typeof value !== 'string') fail('bad_request', `server ${ref}.${field} must be a string`, ref);
  return value;
}

function num(v: Fields, field: string, ref: string): number {
  const value = v[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) fail('bad_request', `server ${ref}.${field} must be a number`, ref);
  return value;
}

function strings(v: Fields, field: string, ref: string): string[] {
  const value = v[field];
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) {
    fail('bad_request', `server ${ref}.${field} must be a list of strings`, ref);
  }
  return value as string[];
}

function optionalStr(v: Fields, field: string): string | undefined {
  return typeof v[field] === 'string' ? v[field] : undefined;
}

/** Validate a message the server sent to a client (used by the protocol module's Connection). */
export function parseServerMessage(value: unknown): ServerMessage {
  const type = typeOf(value);
  const v = value as Fields;
  const message = parseServerBody(type, v);
  if (typeof v['label'] === 'string' && LABELLED_REPLIES.has(message.type)) (message as { label?: string }).label = v['label'];
  return message;
}

/** Server messages that can answer a request, and so carry its label. */
const LABELLED_REPLIES: ReadonlySet<string> = new Set([
  'welcome',
  'message',
  'private',
  'users',
  'room',
  'rooms',
  'topic',
  'left',
  'history',
  'results',
  'error',
  'pong',
  'renamed',
  'bye',
  'registered',
  'notice',
  'moderated',
  'bans',
]);

function parseServerBody(type: string, v: Fields): ServerMessage {
  switch (type) {
    case 'welcome': {
      // A version 1 server names one room and its users; read that as a list of one.
      const rooms = v['rooms'] === undefined && typeof v['room'] === 'string' ? [{ room: v['room'], users: v['users'] }] : v['rooms'];
      if (!Array.isArray(rooms)) fail('bad_request', 'server welcome.rooms must be a list', type);
      const limits = isMap(v['limits']) ? v['limits'] : {};
      const msg: ServerMessage = {
        type,
        protocol: typeof v['protocol'] === 'number' ? v['protocol'] : 1,
        server: str(v, 'server', type),
        version: typeof v['version'] === 'string' ? v['version'] : String(v['version'] ?? ''),
        you: str(v, 'you', type),
        address: str(v, 'address', type),
        rooms: rooms.map((r: unknown) => {
          if (!isMap(r)) fail('bad_request', 'server welcome.rooms entry must be a map', type);
          return { room: str(r, 'room', type), topic: typeof r['topic'] === 'string' ? r['topic'] : '', users: strings(r, 'users', type) };
        }),
        clients: num(v, 'clients', type),
        maxFrame: num(v, 'maxFrame', type),
        limits: {
          maxRooms: typeof limits['maxRooms'] === 'number' ? limits['maxRooms'] : DEFAULT_MAX_ROOMS_PER_USER,
          text: typeof limits['text'] === 'number' ? limits['text'] : MAX_TEXT_BYTES,
          topic: typeof limits['topic'] === 'number' ? limits['topic'] : MAX_TOPIC_BYTES,
        },
      };
      if (typeof limits['historyLimit'] === 'number') msg.limits.historyLimit = limits['historyLimit'];
      if (typeof v['software'] === 'string') msg.software = v['software'];
      if (typeof v['motd'] === 'string') msg.motd = v['motd'];
      if (typeof v['account'] === 'string') msg.account = v['account'];
      if (v['operator'] === true) msg.operator = true;
      return msg;
    }
    case 'message': {
      const msg: ServerMessage = {
        type,
        id: num(v, 'id', type),
        ts: num(v, 'ts', type),
        room: str(v, 'room', type),
        from: str(v, 'from', type),
        text: str(v, 'text', type),
      };
      if (v['action'] === true) msg.action = true;
      return msg;
    }
    case 'private':
      return {
        type,
        id: num(v, 'id', type),
        ts: num(v, 'ts', type),
        from: str(v, 'from', type),
        to: str(v, 'to', type),
        text: str(v, 'text', type),
      };
    case 'joined': {
      const msg: ServerMessage = {
        type,
        ts: num(v, 'ts', type),
        room: str(v, 'room', type),
        name: str(v, 'name', type),
        clients: num(v, 'clients', type),
      };
      if (typeof v['host'] === 'string') msg.host = v['host'];
      return msg;
    }
    case 'left': {
      const reason = str(v, 'reason', type);
      const msg: ServerMessage = {
        type,
        ts: num(v, 'ts', type),
        room: str(v, 'room', type),
        name: str(v, 'name', type),
        reason: ((LEFT_REASONS as readonly string[]).includes(reason) ? reason : 'disconnect') as LeftReason,
        clients: num(v, 'clients', type),
      };
      if (typeof v['text'] === 'string') msg.text = v['text'];
      if (typeof v['by'] === 'string') msg.by = v['by'];
      return msg;
    }
    case 'topic':
      return { type, room: str(v, 'room', type), text: str(v, 'text', type), by: str(v, 'by', type), ts: num(v, 'ts', type) };
    case 'renamed':
      return { type, ts: num(v, 'ts', type), from: str(v, 'from', type), to: str(v, 'to', type) };
    case 'users':
      return { type, users: strings(v, 'users', type), clients: num(v, 'clients', type) };
    case 'room':
      return {
        type,
        room: str(v, 'room', type),
        topic: typeof v['topic'] === 'string' ? v['topic'] : '',
        users: strings(v, 'users', type),
      };
    case 'rooms': {
      const rooms = v['rooms'];
      if (!Array.isArray(rooms)) fail('bad_request', 'server rooms.rooms must be a list', type);
      return {
        type,
        rooms: rooms.map((r: unknown) => {
          if (!isMap(r)) fail('bad_request', 'server rooms entry must be a map', type);
          return { room: str(r, 'room', type), users: num(r, 'users', type), topic: typeof r['topic'] === 'string' ? r['topic'] : '' };
        }),
      };
    }
    case 'history': {
      const list = v['messages'];
      if (!Array.isArray(list)) fail('bad_request', 'server history.messages must be a list', type);
      const msg: ServerMessage = {
        type,
        messages: list.map((m: unknown) => {
          if (!isMap(m) || (m['type'] !== 'message' && m['type'] !== 'private'))
            fail('bad_request', 'server history entry must be a message or private map', type);
          return parseServerBody(m['type'], m) as MessageMsg | PrivateMsg;
        }),
        more: v['more'] === true,
      };
      if (typeof v['room'] === 'string') msg.room = v['room'];
      if (typeof v['with'] === 'string') msg.with = v['with'];
      return msg;
    }
    case 'results': {
      const list = v['messages'];
      if (!Array.isArray(list)) fail('bad_request', 'server results.messages must be a list', type);
      return {
        type,
        messages: list.map((m: unknown) => {
          if (!isMap(m) || (m['type'] !== 'message' && m['type'] !== 'private'))
            fail('bad_request', 'server results entry must be a message or private map', type);
          return parseServerBody(m['type'], m) as MessageMsg | PrivateMsg;
        }),
        more: v['more'] === true,
      };
    }
    case 'notice':
      return { type, text: str(v, 'text', type) };
    case 'error': {
      const code = str(v, 'code', type);
      const msg: ServerMessage = {
        type,
        // A code this version does not know (from a newer server) is passed on as it came.
        code: code as ErrorCode,
        message: typeof v['message'] === 'string' ? v['message'] : code,
      };
      if (typeof v['ref'] === 'string') msg.ref = v['ref'];
      return msg;
    }
    case 'ping':
    case 'pong': {
      const token = v['token'];
      return typeof token === 'string' || typeof token === 'number' ? { type, token } : { type };
    }
    case 'registered':
      return { type, name: str(v, 'name', type) };
    case 'bye': {
      const msg: ServerMessage = { type, reason: typeof v['reason'] === 'string' ? v['reason'] : 'logout' };
      if (typeof v['text'] === 'string') msg.text = v['text'];
      return msg;
    }
    // ---- moderation ----
    case 'moderated': {
      const action = str(v, 'action', type);
      if (!['kick', 'ban', 'unban', 'mute', 'unmute'].includes(action)) fail('bad_request', 'server moderated.action is unknown', type);
      return withOptional(
        { type, action: action as ModeratedMsg['action'] },
        {
          name: optionalStr(v, 'name'),
          address: optionalStr(v, 'address'),
          room: optionalStr(v, 'room'),
          until: typeof v['until'] === 'number' ? v['until'] : undefined,
          reason: optionalStr(v, 'reason'),
          kicked: typeof v['kicked'] === 'number' ? v['kicked'] : undefined,
        },
      );
    }
    case 'bans': {
      const list = v['bans'];
      if (!Array.isArray(list)) fail('bad_request', 'server bans.bans must be a list', type);
      return withOptional(
        {
          type,
          bans: list.map((b: unknown): BanEntry => {
            if (!isMap(b)) fail('bad_request', 'server bans entry must be a map', type);
            return withOptional(
              { by: str(b, 'by', type), ts: num(b, 'ts', type) },
              {
                name: optionalStr(b, 'name'),
                address: optionalStr(b, 'address'),
                room: optionalStr(b, 'room'),
                reason: optionalStr(b, 'reason'),
                until: typeof b['until'] === 'number' ? b['until'] : undefined,
              },
            );
          }),
          more: v['more'] === true,
        },
        { room: optionalStr(v, 'room') },
      );
    }
    // ---- end moderation ----
    default:
      throw new ProtocolError('unknown_type', `unknown server message type "${type.slice(0, 32)}"`, type.slice(0, 32));
  }
}
