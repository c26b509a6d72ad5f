import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { VettedUrl } from './vet-url.ts';

export interface PinnedResponse {
  request: ClientRequest;
  response: IncomingMessage;
}

/**
 * GET `target.url`, connecting only to `target.address` (the one that was vetted) while Host and
 * TLS SNI/certificate checks still use the original name, so DNS cannot change in between.
 */
export function getPinned(
  target: VettedUrl,
  signal: AbortSignal,
  onIdle: (request: ClientRequest) => void,
  idleMs: number,
): Promise<PinnedResponse> {
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const { url } = target;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send({
      protocol: url.protocol,
      hostname: target.hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { 'user-agent': 'Mini-DJ', accept: 'audio/*, application/octet-stream;q=0.9, */*;q=0.1' },
      lookup: pinnedLookup,
      agent: false, // no pooled sockets: each hop connects to its own vetted address
      signal,
    });
    request.setTimeout(idleMs, () => onIdle(request));
    request.once('response', (response) => resolve({ request, response }));
    request.on('error', reject); // kept: later socket errors must not go unhandled
    request.end();
  });
}
