/**
 * @module
 * framechat's public API: everything a bot (or the terminal client) imports.
 *
 * ```ts
 * import { connect } from 'framechat';
 * const chat = await connect({ host: 'localhost', port: 5005, name: 'echo' });
 * for await (const m of chat) if (m.type === 'message' && m.from !== chat.name) chat.say(m.text);
 * ```
 */
export { connect, Connection, type ConnectOptions, type ConnectionEvents, type SendOptions } from './connection.js';
export { ConnectionError, FrameError, ProtocolError, ServerError, type ConnectionErrorCode } from './errors.js';
export { encode, decode, encodePayload } from './codec.js';
export { encodeFrame, FrameDecoder, HEADER_BYTES } from './frame.js';
export { foldName, isValidName, isValidRoom, normalizeRoom } from './names.js';
export { labelOf, parseClientMessage, parseServerMessage, textProblem } from './validate.js';
export { AsyncQueue } from './queue.js';
export * from './messages.js';
