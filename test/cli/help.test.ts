/**
 * `--help` of both built binaries, piped and on an 80-column terminal: it fits the width, and
 * every example command is on one line, whole, so that it can be copied (a command broken in the
 * middle, or inside a quoted string, cannot be).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TmuxTerminal } from '../helpers/terminal.js';
import '../helpers/server-binary.js'; // builds dist/ when it is missing

const BINS = {
  'chat-client': fileURLToPath(new URL('../../bin/chat-client.js', import.meta.url)),
  'chat-server': fileURLToPath(new URL('../../bin/chat-server.js', import.meta.url)),
} as const;

/** The examples as README.md and the docs show them: each must come out whole. */
const EXAMPLES = {
  'chat-client': ['chat-client --name alice chat.example.org:5005', "printf 'hello\\n' | chat-client --name bot localhost:5005"],
  'chat-server': [
    'chat-server start',
    'chat-server start --port 6000 --motd "be nice"',
    'CHAT_PASSWORD=s3cret chat-server start',
    'chat-server start --tls-cert cert.pem --tls-key key.pem',
  ],
} as const;

type Bin = keyof typeof BINS;

async function pipedHelp(bin: Bin, env: Record<string, string>): Promise<string[]> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_') && k !== 'COLUMNS'));
  const child = spawn(process.execPath, [BINS[bin], '--help'], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
  return out.trimEnd().split('\n');
}

/** The rows of the Examples section, without their indent. */
function exampleRows(lines: string[]): string[] {
  const start = lines.indexOf('Examples:');
  expect(start).toBeGreaterThan(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    rows.push(line.trim());
  }
  return rows;
}

describe.each(Object.keys(BINS) as Bin[])('%s --help', (bin) => {
  it.each<[string, Record<string, string>]>([
    ['piped, with no $COLUMNS', {}],
    ['piped, with COLUMNS=80', { COLUMNS: '80' }],
  ])('%s: wraps at 80 and keeps each example command whole on one line', async (_how, env) => {
    const lines = await pipedHelp(bin, env);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    // Wrapped at 80, not at something narrower: the option table uses the width.
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(70);
    const rows = exampleRows(lines);
    for (const example of EXAMPLES[bin]) expect(rows).toContain(example);
  });

  it('piped, with a wider $COLUMNS, uses it', async () => {
    const lines = await pipedHelp(bin, { COLUMNS: '100' });
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(80);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('on an 80-column terminal: nothing wraps and each example command is whole', async () => {
    const t = await TmuxTerminal.start([process.execPath, BINS[bin], '--help'], { cols: 80, rows: 60 });
    const screen = await t.waitFor('[exit 0]');
    const lines = screen.slice(0, screen.indexOf('[exit 0]'));
    const rows = exampleRows(lines);
    for (const example of EXAMPLES[bin]) expect(rows).toContain(example);
    // Every example row is a command or its description (a shell comment), never a piece of one.
    expect(rows.length).toBe(EXAMPLES[bin].length * 2);
    for (const row of rows) expect(row.startsWith('# ') || (EXAMPLES[bin] as readonly string[]).includes(row)).toBe(true);
  });
});
