/**
 * Certificates for the TLS tests, made with scripts/make-cert.sh (so the script is tested by
 * every run) into a temporary folder that is removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAKE_CERT = fileURLToPath(new URL('../../scripts/make-cert.sh', import.meta.url));

export interface Pair {
  dir: string;
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export interface Certs {
  /** Self-signed for localhost, 127.0.0.1 and ::1. */
  selfSigned: Pair;
  /** Another self-signed pair for the same names: right name, untrusted key. */
  impostor: Pair;
  /** Self-signed for a different name only. */
  otherName: Pair;
  /** A private CA and a localhost certificate it signed. */
  ca: Pair & { caCert: string; caFile: string };
  remove(): void;
}

function make(root: string, name: string, options: { ca?: boolean; names?: string[] } = {}): Pair {
  const dir = path.join(root, name);
  const args = [MAKE_CERT, ...(options.ca ? ['--ca'] : []), dir, ...(options.names ?? [])];
  execFileSync('sh', args, { env: { ...process.env, DAYS: '2' }, stdio: 'pipe' });
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  return { dir, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

export function makeCerts(): Certs {
  const root = mkdtempSync(path.join(os.tmpdir(), 'framechat-certs-'));
  const ca = make(root, 'ca', { ca: true });
  const caFile = path.join(ca.dir, 'ca.pem');
  return {
    selfSigned: make(root, 'self'),
    impostor: make(root, 'impostor'),
    otherName: make(root, 'other', { names: ['other.example'] }),
    ca: { ...ca, caFile, caCert: readFileSync(caFile, 'utf8') },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
