/**
 * @module
 * The message vocabulary of protocol version 2 (docs/PROTOCOL.md): every frame's payload is one of
 * these maps, discriminated on `type`. Limits live here too, so that server, client and bots agree.
 * Accounts (register, passwd, unregister, hello.auth) sit in blocks of their own.
 */

export const PROTOCOL_VERSION = 2;
export const DEFAULT_PORT = 5005;
/** Where the server listens for TLS when given a certificate, and where `chats://host` goes. */
export const DEFAULT_TLS_PORT = 5006;
/** Default and recommended maximum frame payload, in bytes; the server announces its own in `welcome`. */
export const MAX_FRAME = 65_536;
/** Largest frame any peer may declare: the 4-byte header's first byte must be 0x00 (see text mode). */
export const MAX_FRAME_LIMIT = 0x00ff_ffff;
export const MAX_TEXT_BYTES = 4096;
export const MAX_NAME_CHARS = 32;
/** A topic: same rules as text, at most this many bytes, and may be empty (no topic). */
export const MAX_TOPIC_BYTES = 512;
export const MAIN_ROOM = '#main';
/** Rooms one user may be in at once, unless the server says otherwise in welcome.limits. */
export const DEFAULT_MAX_ROOMS_PER_USER = 20;

/** Every error code the server sends, with the situation it names (docs/PROTOCOL.md has the table). */
export const ERROR_CODES = [
  'bad_frame',
  'frame_too_large',
  'unknown_type',
  'bad_request',
  'not_logged_in',
  'already_logged_in',
  'name_taken',
  'bad_name',
  'bad_room',
  'not_in_room',
  'bad_text',
  'text_too_long',
  'no_such_user',
  'too_many_rooms',
  'auth_failed',
  'rate_limited',
  'server_full',
  'too_many_connections',
  'login_timeout',
  'internal_error',
  // ---- accounts ----
  'name_reserved',
  'login_failed',
  'login_throttled',
  'account_required',
  'name_registered',
  'registration_closed',
  'weak_password',
  'no_account',
  'server_busy',
  // ---- end accounts ----
  // ---- moderation ----
  'not_operator',
  'banned',
  'muted',
  'no_such_ban',
  // ---- end moderation ----
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const LEFT_REASONS = ['part', 'logout', 'disconnect', 'timeout', 'sendq_exceeded', 'flood', 'shutdown', 'kicked'] as const;
export type LeftReason = (typeof LEFT_REASONS)[number];

// ---- client → server ----------------------------------------------------------------------

/**
 * Any request may carry a `label` (at most MAX_LABEL_BYTES of UTF-8): the server copies it onto its
 * answer (the reply, the error that refuses it, the sender's own copy of a `message`/`private`).
 */
export interface Labelled {
  label?: string;
}
export const MAX_LABEL_BYTES = 64;

export interface HelloMsg extends Labelled {
  type: 'hello';
  name: string;
  password?: string;
  /** Rooms to start in (default ["#main"]); folded, without repeats. */
  rooms?: string[];
  /** Catch-up: room → the last message id the client has of it; that room's history is what came after. */
  since?: Record<string, number>;
  client?: string;
  /** Log in to the account registered under `name`. */
  auth?: AccountAuth;
}
/** `room` may be left out only by a user in exactly one room. */
export interface SayMsg extends Labelled {
  type: 'say';
  room?: string;
  text: string;
  action?: boolean;
}
export interface PrivateMsgMsg extends Labelled {
  type: 'msg';
  to: string;
  text: string;
}
export interface WhoMsg extends Labelled {
  type: 'who';
}
/** `room` may be left out by a user in exactly one room. */
export interface LookMsg extends Labelled {
  type: 'look';
  room?: string;
}
export interface RoomsMsg extends Labelled {
  type: 'rooms';
}
/** `since`: the last message id the client has of the room (catch-up instead of the latest). */
export interface JoinMsg extends Labelled {
  type: 'join';
  room: string;
  since?: number;
}
/** A page of history: of `room` (a member only) or of the private conversation `with` a name. */
export interface HistoryRequestMsg extends Labelled {
  type: 'history';
  room?: string;
  with?: string;
  before?: number;
  after?: number;
  limit?: number;
}
/**
 * Plain-text search (no character of `text` is query syntax) in the rooms the user is in, or in
 * `room` only, optionally only what `from` said; newest first. `before` (an id) asks for the next
 * page of older results, as `history` pages do.
 */
export interface SearchMsg extends Labelled {
  type: 'search';
  text: string;
  room?: string;
  from?: string;
  before?: number;
  limit?: number;
}
/** A search query: at most this many bytes of UTF-8. */
export const MAX_QUERY_BYTES = 512;
/** Results in one `results` page unless the request asks for fewer (at most MAX_RESULTS). */
export const DEFAULT_RESULTS = 20;
export const MAX_RESULTS = 100;
export interface PartMsg extends Labelled {
  type: 'part';
  room: string;
  reason?: string;
}
/** Without `text`: ask for the topic; with it: set it ("" clears). */
export interface TopicRequestMsg extends Labelled {
  type: 'topic';
  room: string;
  text?: string;
}
export interface NickMsg extends Labelled {
  type: 'nick';
  name: string;
}
export interface PingMsg extends Labelled {
  type: 'ping';
  token?: string | number;
}
export interface PongMsg extends Labelled {
  type: 'pong';
  token?: string | number;
}
export interface LogoutMsg extends Labelled {
  type: 'logout';
  reason?: string;
}

// ---- accounts (client → server) ----------------------------------------------------------

/** Passwords are at most this many bytes of UTF-8 (checked before any hashing). */
export const MAX_PASSWORD_BYTES = 256;
/** A new account password has at least this many characters (code points); fewer is weak_password. */
export const MIN_PASSWORD_CHARS = 8;

export interface AccountAuth {
  password: string;
}
/** Register the caller's current name as an account with this password. */
export interface RegisterMsg extends Labelled {
  type: 'register';
  password: string;
}
export interface PasswdMsg extends Labelled {
  type: 'passwd';
  old: string;
  new: string;
}
/** Delete the caller's account; the name becomes a guest name again. */
export interface UnregisterMsg extends Labelled {
  type: 'unregister';
  password: string;
}
export type AccountRequest = RegisterMsg | PasswdMsg | UnregisterMsg;

// ---- end accounts (client → server) ---------------------------------------------------------

// ---- moderation (client → server) --------------------------------------------------------

/** A ban or mute lasts at most this many seconds (ten years); without `duration`, until lifted. */
export const MAX_BAN_SECONDS = 10 * 365 * 24 * 3600;
/** A `bans` answer lists at most this many bans. */
export const MAX_BANS_LISTED = 100;

/** Out of `room` (operators and the room's founder), or without it off the server (operators). */
export interface KickMsg extends Labelled {
  type: 'kick';
  name: string;
  room?: string;
  reason?: string;
}
/** Exactly one of `name` and `address`; with `room` a ban from that room, else from the server. */
export interface BanMsg extends Labelled {
  type: 'ban';
  name?: string;
  address?: string;
  room?: string;
  /** Seconds; absent: until lifted. */
  duration?: number;
  reason?: string;
}
export interface UnbanMsg extends Labelled {
  type: 'unban';
  name?: string;
  address?: string;
  room?: string;
}
export interface BansMsg extends Labelled {
  type: 'bans';
  room?: string;
}
export interface MuteMsg extends Labelled {
  type: 'mute';
  room: string;
  name: string;
  duration?: number;
}
export interface UnmuteMsg extends Labelled {
  type: 'unmute';
  room: string;
  name: string;
}
export type ModerationRequest = KickMsg | BanMsg | UnbanMsg | BansMsg | MuteMsg | UnmuteMsg;

// ---- end moderation (client → server) ------------------------------------------------------

export type ClientMessage =
  | HelloMsg
  | SayMsg
  | PrivateMsgMsg
  | WhoMsg
  | LookMsg
  | RoomsMsg
  | JoinMsg
  | PartMsg
  | TopicRequestMsg
  | NickMsg
  | PingMsg
  | PongMsg
  | LogoutMsg
  | HistoryRequestMsg
  | SearchMsg
  | AccountRequest
  | ModerationRequest;
export type ClientType = ClientMessage['type'];

// ---- server → client ----------------------------------------------------------------------

/** A room as a member sees it on arrival: `topic` is "" when there is none. */
export interface RoomState {
  room: string;
  topic: string;
  users: string[];
}
export interface Limits {
  /** Rooms one user may be in at once. */
  maxRooms: number;
  /** Messages in one `history` page at most (a server without a store may leave it out). */
  historyLimit?: number;
  /** Bytes of a chat text. */
  text: number;
  /** Bytes of a topic. */
  topic: number;
}
export interface WelcomeMsg extends Labelled {
  type: 'welcome';
  /** Protocol version (2). */
  protocol: number;
  server: string;
  /** Server software version, e.g. "0.2.0". */
  version: string;
  /** Server software and version, e.g. "framechat/0.2.0". */
  software?: string;
  you: string;
  address: string;
  /** The rooms the user starts in, with topics and members. */
  rooms: RoomState[];
  clients: number;
  maxFrame: number;
  limits: Limits;
  motd?: string;
  /** The account the user is logged in to (absent for a guest). */
  account?: string;
  /** True when that account is an operator (at login); absent otherwise. */
  operator?: boolean;
}
export interface MessageMsg extends Labelled {
  type: 'message';
  id: number;
  ts: number;
  room: string;
  from: string;
  text: string;
  action?: boolean;
}
export interface PrivateMsg extends Labelled {
  type: 'private';
  id: number;
  ts: number;
  from: string;
  to: string;
  text: string;
}
/** `host` only where the server is started with --show-addresses. */
export interface JoinedMsg {
  type: 'joined';
  ts: number;
  room: string;
  name: string;
  host?: string;
  clients: number;
}
/** `text`: the parting or kicking reason, when one was given. Labelled on our own copy of our own `part`. */
export interface LeftMsg extends Labelled {
  type: 'left';
  ts: number;
  room: string;
  name: string;
  reason: LeftReason;
  text?: string;
  /** For `kicked`: who kicked (or banned) them. */
  by?: string;
  clients: number;
}
/** A room's topic: the answer to a topic query, and to every member when it changes. */
export interface TopicMsg extends Labelled {
  type: 'topic';
  room: string;
  text: string;
  by: string;
  ts: number;
}
export interface RenamedMsg extends Labelled {
  type: 'renamed';
  ts: number;
  from: string;
  to: string;
}
export interface UsersMsg extends Labelled {
  type: 'users';
  users: string[];
  clients: number;
}
export interface RoomMsg extends Labelled {
  type: 'room';
  room: string;
  topic: string;
  users: string[];
}
export interface RoomInfo {
  room: string;
  users: number;
  topic: string;
}
export interface RoomsListMsg extends Labelled {
  type: 'rooms';
  rooms: RoomInfo[];
}
/** Oldest first; `more`: older (latest, before) or newer (after, since) messages exist beyond the page. */
export interface HistoryMsg extends Labelled {
  type: 'history';
  room?: string;
  with?: string;
  messages: (MessageMsg | PrivateMsg)[];
  more: boolean;
}
/** Search results, newest first; `more`: older matches exist (ask again with `before` the last id). */
export interface ResultsMsg extends Labelled {
  type: 'results';
  messages: (MessageMsg | PrivateMsg)[];
  more: boolean;
}
export interface NoticeMsg extends Labelled {
  type: 'notice';
  text: string;
}
export interface ErrorMsg extends Labelled {
  type: 'error';
  code: ErrorCode;
  message: string;
  ref?: string;
}
export interface ServerPingMsg {
  type: 'ping';
  token?: string | number;
}
export interface ServerPongMsg extends Labelled {
  type: 'pong';
  token?: string | number;
}
export interface ByeMsg extends Labelled {
  type: 'bye';
  reason: string;
  /** Why, in words (a kick's or a ban's reason). */
  text?: string;
}

// ---- accounts (server → client) ----------------------------------------------------------

/** The answer to `register`: `name` is now an account, and the caller is logged in to it. */
export interface RegisteredMsg extends Labelled {
  type: 'registered';
  name: string;
}

// ---- end accounts (server → client) ---------------------------------------------------------

// ---- moderation (server → client) --------------------------------------------------------

/** One ban as `bans` lists it: a name or an address (group), from a room or the server. */
export interface BanEntry {
  name?: string;
  address?: string;
  room?: string;
  by: string;
  reason?: string;
  ts: number;
  /** When it ends (ms); absent: until lifted. */
  until?: number;
}
/** The answer to kick, ban, unban, mute and unmute: what was done. */
export interface ModeratedMsg extends Labelled {
  type: 'moderated';
  action: 'kick' | 'ban' | 'unban' | 'mute' | 'unmute';
  name?: string;
  address?: string;
  room?: string;
  until?: number;
  reason?: string;
  /** Sessions this action kicked (a ban kicks who it matches). */
  kicked?: number;
}
export interface BansListMsg extends Labelled {
  type: 'bans';
  room?: string;
  bans: BanEntry[];
  more: boolean;
}

// ---- end moderation (server → client) ------------------------------------------------------

export type ServerMessage =
  | WelcomeMsg
  | MessageMsg
  | PrivateMsg
  | JoinedMsg
  | LeftMsg
  | RenamedMsg
  | TopicMsg
  | UsersMsg
  | RoomMsg
  | RoomsListMsg
  | HistoryMsg
  | ResultsMsg
  | NoticeMsg
  | ErrorMsg
  | ServerPingMsg
  | ServerPongMsg
  | ByeMsg
  | RegisteredMsg
  | ModeratedMsg
  | BansListMsg;
export type ServerType = ServerMessage['type'];

/** Narrow a ServerMessage union by its `type`. */
export type ServerMessageOf<T extends ServerType> = Extract<ServerMessage, { type: T }>;
