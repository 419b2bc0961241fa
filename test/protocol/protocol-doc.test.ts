/**
 * docs/PROTOCOL.md stays in step with the code: its hex examples are what our encoder writes, and
 * it names every message type, error code and left reason the code knows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/server/commands.js';
import { encode, ERROR_CODES, LEFT_REASONS } from '../../src/protocol/internal.js';

const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** `<!-- example-frame JSON -->` followed by a ```text block of hex bytes. */
const EXAMPLE = /<!-- example-frame (.+?) -->\n```text\n([\s\S]*?)```/g;
const examples = [...doc.matchAll(EXAMPLE)].map(([, json, hex]) => ({
  message: JSON.parse(json!) as object,
  hex: hex!.replace(/\s+/g, ''),
}));

/** The rows of the markdown table that follows `heading`, first cell of each, without backticks. */
function firstColumn(heading: string): string[] {
  const start = doc.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of doc.slice(start).split('\n').slice(1)) {
    if (line.startsWith('|')) rows.push(line.split('|')[1]!.trim().replace(/`/g, ''));
    else if (rows.length > 0) break;
  }
  return rows.slice(2); // header and separator
}

describe('docs/PROTOCOL.md', () => {
  it('has byte-level examples of a hello and a message frame', () => {
    const types = examples.map((e) => (e.message as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['hello', 'message']));
  });

  it.each(examples.map((e) => [(e.message as { type: string }).type, e] as const))(
    'shows the exact bytes our encoder writes for its %s example',
    (_type, example) => {
      expect(example.hex).toBe(encode(example.message).toString('hex'));
    },
  );

  it('lists every client message type the server handles', () => {
    expect(firstColumn('## Client to server').sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it('lists every server message type', () => {
    const types = [
      'welcome',
      'message',
      'private',
      'joined',
      'left',
      'renamed',
      'topic',
      'users',
      'room',
      'rooms',
      'history',
      'results',
      'notice',
      'error',
      'ping',
      'pong',
      'bye',
      'registered',
      'moderated',
      'bans',
    ];
    expect(firstColumn('## Server to client').sort()).toEqual(types.sort());
  });

  it('explains every error code in messages.ts, and no other', () => {
    expect([...new Set(firstColumn('## Error codes'))].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('explains every left reason', () => {
    expect(firstColumn('### Left reasons').sort()).toEqual([...LEFT_REASONS].sort());
  });
});
