/**
 * @module
 * framechat's public API: what a bot imports, and nothing else (like nats.js's mod.ts).
 *
 * ```ts
 * import { connect } from 'framechat';
 * const chat = await connect({ host: 'localhost', port: 5005, name: 'echo' });
 * for await (const m of chat) if (m.type === 'message' && m.from !== chat.name) chat.say(m.text);
 * ```
 *
 * The server, the terminal client and the scripts import ./internal.ts, which adds the codec, the
 * frame decoder, validation and the queue; package.json exports only this file.
 */
export {
  connect,
  Connection,
  type ConnectOptions,
  type ConnectionEvents,
  type HistoryOptions,
  type LineOptions,
  type ReconnectAttempt,
  type ReconnectOptions,
  type SayOptions,
  type SearchOptions,
  type SendOptions,
} from './connection.js';
export { ConnectionError, FrameError, ProtocolError, ServerError, type ConnectionErrorCode } from './errors.js';
export { compareNames, foldName, isValidName, isValidRoom, normalizeRoom } from './names.js';
export * from './messages.js';
