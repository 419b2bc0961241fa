import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../src/client/address.js';

describe('server address', () => {
  it.each<[string | undefined, { host: string; port: number; tls: boolean }]>([
    [undefined, { host: 'localhost', port: 5005, tls: false }],
    ['', { host: 'localhost', port: 5005, tls: false }],
    ['example.org', { host: 'example.org', port: 5005, tls: false }],
    ['example.org:6000', { host: 'example.org', port: 6000, tls: false }],
    ['127.0.0.1:1', { host: '127.0.0.1', port: 1, tls: false }],
    ['[::1]:5006', { host: '::1', port: 5006, tls: false }],
    ['[::1]', { host: '::1', port: 5005, tls: false }],
    ['::1', { host: '::1', port: 5005, tls: false }],
    ['chats://example.org:5006', { host: 'example.org', port: 5006, tls: true }],
    ['CHATS://example.org', { host: 'example.org', port: 5006, tls: true }],
    ['chats://[::1]', { host: '::1', port: 5006, tls: true }],
    ['chat://example.org:7000/', { host: 'example.org', port: 7000, tls: false }],
  ])('reads %j', (input, expected) => {
    expect(parseAddress(input)).toEqual(expected);
  });

  it.each([
    ['host:0', /bad port/],
    ['host:65536', /bad port/],
    ['host:abc', /bad port/],
    ['host:', /bad port/],
    [':5005', /bad host/],
    ['http://host', /unknown scheme/],
    ['a b:5005', /bad host/],
    ['[::1]:x', /bad port/],
  ])('refuses %j with bad_address', (input, message) => {
    expect(() => parseAddress(input)).toThrow(message);
    try {
      parseAddress(input);
    } catch (err) {
      expect((err as { code: string }).code).toBe('bad_address');
    }
  });

  it('writes IPv6 hosts in brackets', () => {
    expect(formatAddress({ host: '::1', port: 5005 })).toBe('[::1]:5005');
    expect(formatAddress({ host: 'localhost', port: 5005 })).toBe('localhost:5005');
  });
});
