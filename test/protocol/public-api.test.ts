/**
 * The public API is what a bot author uses, and nothing else: src/protocol/index.ts (the package's
 * only export) has connect, Connection, the errors, the message vocabulary and name helpers; the
 * codec, framing, validation and the queue live behind src/protocol/internal.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as internal from '../../src/protocol/internal.js';
import * as api from '../../src/protocol/index.js';

describe('the public API', () => {
  it('exports connect, Connection, the errors, the constants and the name helpers, and no internals', () => {
    const runtime = Object.keys(api).sort();
    expect(runtime).toEqual(
      expect.arrayContaining([
        'connect',
        'Connection',
        'ConnectionError',
        'FrameError',
        'ProtocolError',
        'ServerError',
        'foldName',
        'compareNames',
        'DEFAULT_PORT',
        'MAX_TEXT_BYTES',
        'ERROR_CODES',
      ]),
    );
    for (const inner of [
      'encode',
      'decode',
      'encodePayload',
      'encodeFrame',
      'FrameDecoder',
      'parseClientMessage',
      'parseServerMessage',
      'labelOf',
      'AsyncQueue',
      'skeleton',
    ]) {
      expect(runtime, inner).not.toContain(inner);
      expect(Object.keys(internal), inner).toContain(inner);
    }
  });

  it('is the only entry package.json exports', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports)).toEqual(['.']);
    expect(pkg.exports['.']).toEqual({ types: './dist/protocol/index.d.ts', default: './dist/protocol/index.js' });
  });

  it('keeps a connection’s name and room read-only, and its feeding methods out of reach', async () => {
    const names = Object.getOwnPropertyNames(api.Connection.prototype);
    expect(names).not.toContain('receive');
    expect(names).not.toContain('fail');
    const name = Object.getOwnPropertyDescriptor(api.Connection.prototype, 'name');
    expect(name?.get).toBeTypeOf('function');
    expect(name?.set).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(api.Connection.prototype, 'room')?.set).toBeUndefined();
  });
});
