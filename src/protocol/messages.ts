/**
 * @module
 * The message vocabulary of protocol version 1 (docs/PROTOCOL.md): every frame's payload is one of
 * these maps, discriminated on `type`. Limits live here too, so that server, client and bots agree.
 */

export const PROTOCOL_VERSION = 1;
export const DEFAULT_PORT = 5005;
/** Where the server listens for TLS when given a certificate, and where `chats://host` goes. */
export const DEFAULT_TLS_PORT = 5006;
/** Default and recommended maximum frame payload, in bytes; the server announces its own in `welcome`. */
export const MAX_FRAME = 65_536;
/** Largest frame any peer may declare: the 4-byte header's first byte must be 0x00 (see text mode). */
export const MAX_FRAME_LIMIT = 0x00ff_ffff;
export const MAX_TEXT_BYTES = 4096;
export const MAX_NAME_CHARS = 32;
export const MAIN_ROOM = '#main';

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
  'auth_failed',
  'rate_limited',
  'server_full',
  'too_many_connections',
  'login_timeout',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const LEFT_REASONS = [
  'logout',
  'disconnect',
  'timeout',
  'moved',
  'sendq_exceeded',
  'flood',
  'shutdown',
] as const;
export type LeftReason = (typeof LEFT_REASONS)[number];

// ---- client → server ----------------------------------------------------------------------

/**
 * Any request may carry a `label` (at most MAX_LABEL_BYTES of UTF-8): the server copies it onto its
 * answer (the reply, the error that refuses it, the sender's own copy of a `message`/`private`).
 */
export interface Labelled { label?: string }
export const MAX_LABEL_BYTES = 64;

export interface HelloMsg extends Labelled { type: 'hello'; name: string; password?: string; client?: string }
export interface SayMsg extends Labelled { type: 'say'; text: string; action?: boolean }
export interface PrivateMsgMsg extends Labelled { type: 'msg'; to: string; text: string }
export interface WhoMsg extends Labelled { type: 'who' }
export interface LookMsg extends Labelled { type: 'look' }
export interface RoomsMsg extends Labelled { type: 'rooms' }
export interface JoinMsg extends Labelled { type: 'join'; room: string }
export interface NickMsg extends Labelled { type: 'nick'; name: string }
export interface PingMsg extends Labelled { type: 'ping'; token?: string | number }
export interface PongMsg extends Labelled { type: 'pong'; token?: string | number }
export interface LogoutMsg extends Labelled { type: 'logout'; reason?: string }

export type ClientMessage =
  | HelloMsg
  | SayMsg
  | PrivateMsgMsg
  | WhoMsg
  | LookMsg
  | RoomsMsg
  | JoinMsg
  | NickMsg
  | PingMsg
  | PongMsg
  | LogoutMsg;
export type ClientType = ClientMessage['type'];

// ---- server → client ----------------------------------------------------------------------

export interface WelcomeMsg extends Labelled {
  type: 'welcome';
  server: string;
  /** Protocol version (1). */
  version: number;
  /** Server software and version, e.g. "framechat/0.1.0". */
  software?: string;
  you: string;
  address: string;
  room: string;
  users: string[];
  clients: number;
  maxFrame: number;
  motd?: string;
}
export interface MessageMsg extends Labelled { type: 'message'; id: number; ts: number; room: string; from: string; text: string; action?: boolean }
export interface PrivateMsg extends Labelled { type: 'private'; id: number; ts: number; from: string; to: string; text: string }
export interface JoinedMsg { type: 'joined'; ts: number; room: string; name: string; host: string; clients: number }
export interface LeftMsg { type: 'left'; ts: number; room: string; name: string; reason: LeftReason; clients: number }
export interface RenamedMsg extends Labelled { type: 'renamed'; ts: number; from: string; to: string }
export interface UsersMsg extends Labelled { type: 'users'; users: string[]; clients: number }
export interface RoomMsg extends Labelled { type: 'room'; room: string; users: string[] }
export interface RoomInfo { room: string; users: number }
export interface RoomsListMsg extends Labelled { type: 'rooms'; rooms: RoomInfo[] }
export interface NoticeMsg { type: 'notice'; text: string }
export interface ErrorMsg extends Labelled { type: 'error'; code: ErrorCode; message: string; ref?: string }
export interface ServerPingMsg { type: 'ping'; token?: string | number }
export interface ServerPongMsg extends Labelled { type: 'pong'; token?: string | number }
export interface ByeMsg extends Labelled { type: 'bye'; reason: string }

export type ServerMessage =
  | WelcomeMsg
  | MessageMsg
  | PrivateMsg
  | JoinedMsg
  | LeftMsg
  | RenamedMsg
  | UsersMsg
  | RoomMsg
  | RoomsListMsg
  | NoticeMsg
  | ErrorMsg
  | ServerPingMsg
  | ServerPongMsg
  | ByeMsg;
export type ServerType = ServerMessage['type'];

/** Narrow a ServerMessage union by its `type`. */
export type ServerMessageOf<T extends ServerType> = Extract<ServerMessage, { type: T }>;
