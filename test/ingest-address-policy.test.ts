import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../src/ingest/address-policy.ts';
import { parseIp } from '../src/ingest/ip-address.ts';

const refused: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback, end of /8'],
  ['10.0.0.1', 'private 10/8'],
  ['10.255.255.255', 'private 10/8 end'],
  ['172.16.0.1', 'private 172.16/12 start'],
  ['172.31.255.255', 'private 172.16/12 end'],
  ['192.168.1.1', 'private 192.168/16'],
  ['169.254.169.254', 'cloud metadata'],
  ['169.254.0.1', 'link-local'],
  ['100.64.0.1', 'CGNAT start'],
  ['100.127.255.255', 'CGNAT end'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'this network'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast SSDP'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.10', 'TEST-NET-1'],
  ['198.51.100.7', 'TEST-NET-2'],
  ['203.0.113.9', 'TEST-NET-3'],
  ['198.18.0.1', 'benchmarking'],
  ['192.0.0.8', 'IETF protocol assignments'],
  ['::', 'IPv6 unspecified'],
  ['::1', 'IPv6 loopback'],
  ['0:0:0:0:0:0:0:1', 'IPv6 loopback, uncompressed'],
  ['fc00::1', 'unique local fc'],
  ['fd12:3456:789a::1', 'unique local fd'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local with zone'],
  ['febf:ffff::1', 'link-local end of fe80::/10'],
  ['fec0::1', 'deprecated site-local'],
  ['ff02::1', 'multicast'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ['0:0:0:0:0:ffff:a00:1', 'IPv4-mapped 10.0.0.1, long form'],
  ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
  ['64:ff9b::10.0.0.1', 'NAT64 to private'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 to metadata, hex'],
  ['64:ff9b:1::1', 'local-use NAT64'],
  ['2002:7f00:1::', '6to4 wrapping loopback'],
  ['2002:c0a8:101::1', '6to4 wrapping 192.168.1.1'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation (RFC 9637)'],
  ['2001::1', 'Teredo'],
  ['100::1', 'discard-only'],
  ['[::1]', 'bracketed loopback'],
  ['localhost', 'not an address'],
  ['127.1', 'short form is not an address'],
  ['0177.0.0.1', 'octal form is not an address'],
  ['', 'empty'],
  ['1:2:3:4:5:6:7:8:9', 'too many groups'],
];

const allowed: [string, string][] = [
  ['8.8.8.8', 'public DNS'],
  ['1.1.1.1', 'public'],
  ['93.184.216.34', 'public web'],
  ['172.15.255.255', 'just below 172.16/12'],
  ['172.32.0.1', 'just above 172.16/12'],
  ['100.63.255.255', 'just below CGNAT'],
  ['100.128.0.1', 'just above CGNAT'],
  ['169.253.255.255', 'just below link-local'],
  ['223.255.255.255', 'just below multicast'],
  ['11.0.0.1', 'just above 10/8'],
  ['2606:4700:4700::1111', 'public IPv6'],
  ['2a00:1450:4001:81a::200e', 'public IPv6'],
  ['2001:4860:4860::8888', 'public IPv6 in 2001::/16 but outside 2001::/23'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public'],
  ['64:ff9b::8.8.8.8', 'NAT64 to public'],
  ['2002:808:808::1', '6to4 wrapping 8.8.8.8'],
];

describe('isPublicAddress', () => {
  it.each(refused)('refuses %s (%s)', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each(allowed)('allows %s (%s)', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

describe('parseIp', () => {
  it.each([
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['1:2::7:8', '00010002000000000000000000070008'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['fe80::abcd%en0', 'fe80000000000000000000000000abcd'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ])('expands %s', (ip, hex) => {
    expect(Buffer.from(parseIp(ip)?.bytes ?? []).toString('hex')).toBe(hex);
  });

  it('reads IPv4 as four bytes', () => {
    expect(parseIp('192.168.0.254')).toEqual({ family: 4, bytes: Uint8Array.from([192, 168, 0, 254]) });
  });
});
