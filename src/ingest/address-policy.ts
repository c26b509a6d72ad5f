import { parseIp } from './ip-address.ts';

interface Range {
  bytes: Uint8Array;
  prefix: number;
}

function range(cidr: string): Range {
  const [address = '', prefix = ''] = cidr.split('/');
  const parsed = parseIp(address);
  if (!parsed) throw new Error(`bad CIDR in address policy: ${cidr}`);
  return { bytes: parsed.bytes, prefix: Number(prefix) };
}

function inRange(bytes: Uint8Array, r: Range): boolean {
  if (bytes.length !== r.bytes.length) return false;
  for (let bit = 0; bit < r.prefix; bit += 8) {
    const width = Math.min(8, r.prefix - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    const i = bit / 8;
    if (((bytes[i] ?? 0) & mask) !== ((r.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** IPv4 ranges that are not globally reachable (IANA special-purpose registry). */
const BLOCKED_V4: readonly Range[] = [
  '0.0.0.0/8', // "this network", incl. 0.0.0.0
  '10.0.0.0/8', // private
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, incl. cloud metadata 169.254.169.254
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation (TEST-NET-1)
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation (TEST-NET-2)
  '203.0.113.0/24', // documentation (TEST-NET-3)
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, incl. broadcast 255.255.255.255
].map(range);

/** Only IPv6 global unicast is fetchable; these parts of it are special. */
const GLOBAL_UNICAST_V6 = range('2000::/3');
const BLOCKED_V6: readonly Range[] = [
  '2001::/23', // IETF protocol assignments: Teredo, benchmarking, ORCHID
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation
].map(range);

/** IPv6 prefixes that carry an IPv4 address; the embedded address decides. */
const EMBEDS_V4: readonly { range: Range; offset: number }[] = [
  { range: range('::ffff:0:0/96'), offset: 12 }, // IPv4-mapped
  { range: range('64:ff9b::/96'), offset: 12 }, // NAT64 well-known prefix
  { range: range('2002::/16'), offset: 2 }, // 6to4
];

/**
 * True when `ip` is a globally reachable unicast address that Mini-DJ may fetch from. Anything that
 * is not a well-formed address is refused.
 */
export function isPublicAddress(ip: string): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return false;
  return parsed.family === 4 ? isPublicV4(parsed.bytes) : isPublicV6(parsed.bytes);
}

function isPublicV4(bytes: Uint8Array): boolean {
  return !BLOCKED_V4.some((r) => inRange(bytes, r));
}

function isPublicV6(bytes: Uint8Array): boolean {
  for (const embed of EMBEDS_V4) {
    if (inRange(bytes, embed.range)) return isPublicV4(bytes.subarray(embed.offset, embed.offset + 4));
  }
  // Everything outside 2000::/3 is refused: ::, ::1, fc00::/7, fe80::/10, ff00::/8, 64:ff9b:1::/48, 100::/64 …
  if (!inRange(bytes, GLOBAL_UNICAST_V6)) return false;
  return !BLOCKED_V6.some((r) => inRange(bytes, r));
}
