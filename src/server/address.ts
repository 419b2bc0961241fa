/**
 * @module
 * Which clients count as one for per-address limits (connections, failed passwords). An IPv4
 * address is itself; an IPv6 address counts by its /64, the smallest block a host or a home is
 * given, so one machine cannot pose as 2^64 clients. Pure functions of the address text.
 */

/**
 * The key per-address limits count by: IPv4 as is (also when written ::ffff:a.b.c.d), IPv6 as
 * its /64 (`2001:db8:1:2::/64`), ::1 as itself. Anything that does not parse is its own group.
 */
export function addressGroup(ip: string): string {
  const words = parseIpv6(ip);
  if (words === undefined) return ip;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
  }
  if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return '::1';
  return `${words
    .slice(0, 4)
    .map((w) => w.toString(16))
    .join(':')}::/64`;
}

/** 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z): this machine. */
export function isLoopback(ip: string): boolean {
  const group = addressGroup(ip);
  return group === '::1' || /^127\.\d+\.\d+\.\d+$/.test(group);
}

/** The eight 16-bit words of an IPv6 address (zone id ignored), or undefined if it is not one. */
function parseIpv6(text: string): number[] | undefined {
  const ip = text.split('%')[0]!.toLowerCase();
  if (!ip.includes(':') || ip.length > 45) return undefined;
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const words: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = piece.split('.');
        if (v4.length !== 4 || !v4.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return undefined;
        const [a, b, c, d] = v4.map(Number) as [number, number, number, number];
        words.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) {
        words.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return words;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<number>(missing).fill(0), ...tail];
}
