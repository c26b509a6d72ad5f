import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DownloadError } from './download-error.ts';

export type AddressPolicy = (ip: string) => boolean;
export type HostResolver = (hostname: string) => Promise<string[]>;

/** A URL that passed the policy, with the exact address the connection must go to. */
export interface VettedUrl {
  url: URL;
  /** Hostname without IPv6 brackets, as Node's request options want it. */
  hostname: string;
  address: string;
  family: 4 | 6;
}

export const BAD_SCHEME = 'Only http(s) links can be queued.';
export const PRIVATE_ADDRESS = 'That link points to a private or local address, which Mini-DJ will not fetch.';
const DNS_FAILED = 'Mini-DJ could not find the server for that link.';

/** Every address the system resolver knows for `hostname` (A and AAAA, /etc/hosts included). */
export const resolveWithDns: HostResolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
};

/** Checks the scheme, resolves the host and refuses it unless every address it has is allowed. */
export async function vetUrl(text: string, allowed: AddressPolicy, resolve: HostResolver): Promise<VettedUrl> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DownloadError('bad-scheme', BAD_SCHEME);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DownloadError('bad-scheme', BAD_SCHEME);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(hostname) ? [hostname] : await resolveOrFail(hostname, resolve);
  if (addresses.length === 0) throw new DownloadError('dns-failed', DNS_FAILED);
  if (!addresses.every((ip) => isIP(ip) !== 0 && allowed(ip)))
    throw new DownloadError('private-address', PRIVATE_ADDRESS);
  const address = addresses[0] ?? '';
  return { url, hostname, address, family: isIP(address) === 6 ? 6 : 4 };
}

async function resolveOrFail(hostname: string, resolve: HostResolver): Promise<string[]> {
  try {
    return await resolve(hostname);
  } catch {
    throw new DownloadError('dns-failed', DNS_FAILED);
  }
}
