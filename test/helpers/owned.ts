/**
 * What a CLI test starts and must not leave behind: child processes (SIGKILLed), bot connections
 * (destroyed) and temporary directories (removed), all after each test. Call useOwned() at the top
 * of the file.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { Connection } from '../../src/protocol/index.js';

export interface Owned {
  readonly children: Set<ChildProcessWithoutNullStreams>;
  readonly bots: Set<Connection>;
  /** A fresh directory named `framechat-<prefix>-…`, removed after the test. */
  tempDir(prefix: string): string;
}

export function useOwned(): Owned {
  const dirs: string[] = [];
  const children = new Set<ChildProcessWithoutNullStreams>();
  const bots = new Set<Connection>();
  afterEach(() => {
    for (const c of children) c.kill('SIGKILL');
    children.clear();
    for (const b of bots) b.destroy();
    bots.clear();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    children,
    bots,
    tempDir(prefix) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `framechat-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
  };
}
