/**
 * Log lines are safe to print on the operator's terminal: every control character a client can
 * put in a logged value (C0, DEL, C1) arrives escaped, and the line stays one line.
 */
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/server/log.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

/** Any C0 control but the final newline, DEL or C1 control. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function logged(value: string): string {
  const lines: string[] = [];
  const log = new Logger('info', (t) => lines.push(t));
  log.info('test', { value });
  log.flush();
  return lines
    .join('')
    .replace(/^ts=\S+ level=info event=test value=/, '')
    .replace(/\n$/, '');
}

describe('log values', () => {
  it.each([
    ['a plain word, bare', 'alice', 'alice'],
    ['a space, quoted', 'a b', '"a b"'],
    ['an ESC/OSC title sequence', '\u001b]0;pwned\u0007', '"\\u001b]0;pwned\\u0007"'],
    ['a CSI colour sequence', '\u001b[31mred', '"\\u001b[31mred"'],
    ['a C1 CSI (U+009B)', '\u009b2J', '"\\u009b2J"'],
    ['DEL', 'a\u007fb', '"a\\u007fb"'],
    ['a newline (no forged second line)', 'x\nts=0 level=error event=fake', '"x\\nts=0 level=error event=fake"'],
    ['a carriage return', 'x\rY', '"x\\rY"'],
    ['a backslash', 'a\\b', '"a\\\\b"'],
    ['a quote', 'say "hi"', '"say \\"hi\\""'],
    ['letters beyond ASCII, bare', 'Zoë小明', 'Zoë小明'],
  ])('%s', (_what, value, expected) => {
    const out = logged(value);
    expect(out).toBe(expected);
    expect(out).not.toMatch(CONTROLS);
    if (out.startsWith('"')) expect(JSON.parse(out)).toBe(value);
  });

  it('escape what a client sends in hello.client and logout.reason', async () => {
    const { port, server, logs } = await startServer();
    const evil = '\u001b]0;owned\u0007\u001b[2J\u009b31m';
    const mallory = await RawClient.login(port, 'mallory', { client: evil });
    mallory.send({ type: 'logout', reason: evil });
    await mallory.waitClosed();
    server.log.flush();
    const login = logs.find((l) => l.includes('event=login'));
    const logout = logs.find((l) => l.includes('event=logout'));
    expect(login).toContain('client="\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m"');
    expect(logout).toContain('reason="\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m"');
    for (const line of logs) expect(line).not.toMatch(CONTROLS);
  });
});
