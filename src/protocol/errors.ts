/**
 * @module
 * One Error class per family, each with a stable string `code` (ws and nats do the same):
 * - FrameError: the byte stream is out of sync (fatal for the connection).
 * - ProtocolError: a payload we cannot accept (bad MessagePack, bad field); the stream is still in sync.
 * - ServerError: the server answered `error{code}`; carries the server's code.
 * - ConnectionError: the transport failed or closed (connect refused, closed while waiting, timeout),
 *   or the peer is not a framechat server at all (`not_framechat`).
 */
import type { ErrorCode } from './messages.js';

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly code: 'frame_too_large' | 'bad_frame',
    message: string,
  ) {
    super(message);
  }
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The message type this error is about, when known. */
    readonly ref?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly ref?: string,
  ) {
    super(message);
  }
}

/**
 * - connect_failed: no connection (refused, unknown host, unreachable); `cause` is the socket error.
 * - not_framechat: something answered, but not a framechat server (an SSH or HTTP port, a TLS port
 *   reached without TLS, or a peer that never answers hello).
 * - disconnected: the link dropped while a request waited (or a request was made before the
 *   reconnect); the connection is logging in again (`reconnect`), so the request may be made anew.
 * - reconnect_failed: `reconnect.maxAttempts` attempts in a row failed; `cause` is the last failure.
 */
export type ConnectionErrorCode =
  'connect_failed' | 'closed' | 'timeout' | 'tls_failed' | 'not_framechat' | 'disconnected' | 'reconnect_failed';

export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    readonly code: ConnectionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
