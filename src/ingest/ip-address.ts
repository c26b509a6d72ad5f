import { isIP } from 'node:net';

/** An IP address as raw bytes: 4 for IPv4, 16 for IPv6. */
export interface ParsedIp {
  family: 4 | 6;
  bytes: Uint8Array;
}

/**
 * Parses a textual IP address (IPv4 dotted quad, or IPv6 in any compressed form, with an optional
 * embedded dotted quad, `[brackets]` or `%zone`). Returns null for anything that is not an address;
 * callers must treat null as "refuse".
 */
export function parseIp(text: string): ParsedIp | null {
  let ip = text.trim();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);
  const family = isIP(ip);
  if (family === 4) return { family: 4, bytes: parseIpv4(ip) };
  if (family === 6) {
    const bytes = parseIpv6(ip);
    return bytes ? { family: 6, bytes } : null;
  }
  return null;
}

function parseIpv4(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}

function parseIpv6(ip: string): Uint8Array | null {
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** Splits one side of `::` into 16-bit groups; a trailing dotted quad counts as two groups. */
function groups(part: string): number[] | null {
  if (part === '') return [];
  const out: number[] = [];
  for (const piece of part.split(':')) {
    if (piece.includes('.')) {
      if (isIP(piece) !== 4) return null;
      const [a = 0, b = 0, c = 0, d = 0] = parseIpv4(piece);
      out.push((a << 8) | b, (c << 8) | d);
    } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
      out.push(parseInt(piece, 16));
    } else {
      return null;
    }
  }
  return out;
}
