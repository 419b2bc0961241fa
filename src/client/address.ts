/**
 * @module
 * The server address a person types, parsed once at the edge: `host`, `host:port`, `[v6]:port`, a
 * bare IPv6 address, or `chat://` / `chats://` (TLS) in front of any of them. Pure; a bad address
 * throws AddressError with the stable code `bad_address`.
 *
 * Without a port, TLS means 5006 and plain means 5005: the ports a server started with a
 * certificate listens on (`chat-server start --tls-cert … --tls-key …`).
 */
import { DEFAULT_PORT, DEFAULT_TLS_PORT } from '../protocol/internal.js';

export interface ServerAddress {
  host: string;
  port: number;
  tls: boolean;
}

export class AddressError extends Error {
  override readonly name = 'AddressError';
  readonly code = 'bad_address';
}

export const DEFAULT_HOST = 'localhost';

/** `wantTls`: TLS was asked for outside the address (--tls, --ca, --insecure). */
export function parseAddress(input: string | undefined, wantTls = false): ServerAddress {
  let rest = (input ?? '').trim();
  let tls = wantTls;
  const scheme = /^([a-z]+):\/\//i.exec(rest);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name !== 'chat' && name !== 'chats') throw new AddressError(`unknown scheme "${scheme[1]}://" (use chat:// or chats://)`);
    tls ||= name === 'chats';
    rest = rest.slice(scheme[0].length).replace(/\/$/, '');
  }
  const defaultPort = tls ? DEFAULT_TLS_PORT : DEFAULT_PORT;
  if (rest === '') return { host: DEFAULT_HOST, port: defaultPort, tls };

  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    host = rest; // a bare IPv6 address: it has no port
  } else {
    const colon = rest.indexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (host === '' || /[\s/@]/.test(host)) throw new AddressError(`bad host in "${input}"`);
  if (portText === undefined) return { host, port: defaultPort, tls };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new AddressError(`bad port "${portText}" in "${input}" (1-65535)`);
  }
  return { host, port: Number(portText), tls };
}

/** host:port as people write it (IPv6 in brackets). */
export function formatAddress(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
