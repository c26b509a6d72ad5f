import type { ClientRequest } from 'node:http';
import { isPublicAddress } from './address-policy.ts';
import { fileLimits } from '../util/add-policy.ts';
import type { AudioKind } from '../audio/io/audio-sniff.ts';
import { DownloadError } from './download-error.ts';
import type { PinnedResponse } from './pinned-request.ts';
import { getPinned } from './pinned-request.ts';
import { saveAudioBody, tooLarge } from './save-body.ts';
import type { AddressPolicy, HostResolver } from './vet-url.ts';
import { resolveWithDns, vetUrl } from './vet-url.ts';

export { DownloadError } from './download-error.ts';
export type { DownloadErrorCode } from './download-error.ts';

export interface DownloadOptions {
  /** Directory the file is written to (must exist). */
  dir: string;
  /** Default: the add policy's (MINIDJ_MAX_MB). */
  maxBytes?: number;
  /** Whole download, DNS included. Default 60 s. */
  timeoutMs?: number;
  /** Longest silence from the server. Default 15 s. */
  idleTimeoutMs?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** Which resolved addresses may be contacted. Default `isPublicAddress`; tests narrow it to 127.0.0.1. */
  isAllowedAddress?: AddressPolicy;
  /** Host name → all its addresses. Default: the system resolver. */
  resolveHost?: HostResolver;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  contentType?: string;
  finalUrl: string;
  kind: AudioKind;
}

const TOO_SLOW = 'The download took too long.';
const IDLE = 'The server stopped sending data.';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Settings {
  dir: string;
  maxBytes: number;
  idleTimeoutMs: number;
  maxRedirects: number;
  allowed: AddressPolicy;
  resolve: HostResolver;
}

/** Downloads a member-supplied audio link safely; every refusal is a `DownloadError`. */
export async function downloadAudio(url: string, opts: DownloadOptions): Promise<DownloadResult> {
  const settings: Settings = {
    dir: opts.dir,
    maxBytes: opts.maxBytes ?? fileLimits().maxBytes,
    idleTimeoutMs: opts.idleTimeoutMs ?? 15_000,
    maxRedirects: opts.maxRedirects ?? 5,
    allowed: opts.isAllowedAddress ?? isPublicAddress,
    resolve: opts.resolveHost ?? resolveWithDns,
  };
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DownloadError('timeout', TOO_SLOW)), opts.timeoutMs ?? 60_000);
  let failure: DownloadError | undefined; // set by the idle timer before it tears the socket down
  let current: PinnedResponse | undefined;
  const onIdle = (request: ClientRequest): void => {
    failure = new DownloadError('timeout', IDLE);
    request.destroy(failure);
  };
  try {
    const opened = await untilAborted(openFollowingRedirects(url, settings, deadline.signal, onIdle), deadline.signal);
    current = opened.pinned;
    const { response } = opened.pinned;
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > settings.maxBytes) throw tooLarge(settings.maxBytes);
    const saved = await saveAudioBody(response, settings.dir, settings.maxBytes);
    const contentType = response.headers['content-type'];
    return { ...saved, finalUrl: opened.finalUrl, ...(contentType ? { contentType } : {}) };
  } catch (err) {
    if (deadline.signal.aborted) throw deadline.signal.reason as DownloadError;
    if (failure) throw failure;
    if (err instanceof DownloadError) throw err;
    throw new DownloadError('http-error', 'Mini-DJ could not download that link (the connection failed).');
  } finally {
    clearTimeout(timer);
    current?.request.destroy();
  }
}

async function openFollowingRedirects(
  start: string,
  settings: Settings,
  signal: AbortSignal,
  onIdle: (request: ClientRequest) => void,
): Promise<{ pinned: PinnedResponse; finalUrl: string }> {
  let next = start;
  for (let hop = 0; ; hop++) {
    const target = await vetUrl(next, settings.allowed, settings.resolve);
    if (signal.aborted) throw signal.reason;
    const pinned = await getPinned(target, signal, onIdle, settings.idleTimeoutMs);
    const { statusCode = 0, headers } = pinned.response;
    if (!REDIRECTS.has(statusCode)) {
      if (statusCode >= 200 && statusCode < 300) return { pinned, finalUrl: target.url.href };
      pinned.request.destroy();
      throw new DownloadError(
        'http-error',
        `Mini-DJ could not download that link (the server answered ${statusCode}).`,
      );
    }
    pinned.request.destroy(); // never read a redirect's body
    if (hop >= settings.maxRedirects)
      throw new DownloadError('too-many-redirects', 'That link redirects too many times.');
    if (!headers.location)
      throw new DownloadError('http-error', 'Mini-DJ could not download that link (a redirect led nowhere).');
    next = new URL(headers.location, target.url).href;
  }
}

/** Rejects as soon as `signal` aborts, so a hanging DNS lookup cannot outlive the deadline. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
