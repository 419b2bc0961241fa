/**
 * @module
 * A resolver that answers every DNS query at once with "no such name", for IRC servers that look
 * up every client's address and cannot be told not to (ircd-hybrid). InspIRCd and ngIRCd are
 * configured without lookups; ircd-hybrid instead gets its own /etc/resolv.conf naming this stub,
 * bind-mounted in a private mount namespace (see targets.ts), so that its logins measure the
 * server rather than the machine's resolver (a rate-limited resolver held its logins to ~20/s).
 * A production resolver answers 127.0.0.1 from a local zone just as fast.
 *
 * The stub needs UDP port 53, so it runs only when the bench runs as root.
 */
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** A loopback address no system resolver uses (systemd-resolved takes 127.0.0.53). */
const STUB_ADDRESS = '127.0.0.153';
const HEADER_BYTES = 12;

export interface DnsStub {
  /** A resolv.conf that names the stub. */
  resolvConf: string;
  close(): void;
}

/**
 * The query turned into its answer: same id and first question, QR set, RCODE 3 (NXDOMAIN), no
 * records; undefined for anything that is not one well-formed question.
 */
function nxdomain(query: Buffer): Buffer | undefined {
  if (query.length < HEADER_BYTES || query.readUInt16BE(4) < 1) return undefined;
  // The question: labels up to the root label, then type and class.
  let at = HEADER_BYTES;
  while (at < query.length && query[at] !== 0) at += 1 + query[at]!;
  const end = at + 1 + 4;
  if (end > query.length) return undefined;
  const answer = Buffer.from(query.subarray(0, end));
  answer[2] = 0x80 | (query[2]! & 0x79); // QR; keep opcode and RD
  answer[3] = 0x80 | 3; // RA, NXDOMAIN
  answer.writeUInt16BE(1, 4); // QDCOUNT
  answer.fill(0, 6, HEADER_BYTES); // ANCOUNT, NSCOUNT, ARCOUNT
  return answer;
}

/** Start the stub and write a resolv.conf for it into `dir`; rejects if port 53 is not ours to take. */
export function startDnsStub(dir: string): Promise<DnsStub> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (query, peer) => {
      const answer = nxdomain(query);
      if (answer) socket.send(answer, peer.port, peer.address);
    });
    socket.once('error', reject);
    socket.bind(53, STUB_ADDRESS, () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // a send to a peer that went away
      const resolvConf = path.join(dir, 'resolv.conf');
      writeFileSync(resolvConf, `nameserver ${STUB_ADDRESS}\n`);
      resolve({ resolvConf, close: () => socket.close() });
    });
  });
}
