import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DownloadOptions } from '../src/ingest/safe-fetch.ts';
import { DownloadError, downloadAudio } from '../src/ingest/safe-fetch.ts';

/** A 16-bit mono 8 kHz WAV with `samples` samples of a ramp. */
function wavBytes(samples: number): Buffer {
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE((i * 97) % 30000, i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const WAV = wavBytes(4000);
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const ENDLESS_CAP = 20 * 1024 * 1024; // the server gives up after this much even if nobody stops it

let server: Server;
let base: string;
const hostHeaders: string[] = [];

/** Writes WAV-looking bytes until the client goes away or the cap is reached, respecting backpressure. */
function endless(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'audio/wav' });
  const chunk = Buffer.alloc(64 * 1024);
  let sent = 0;
  const pump = (): void => {
    while (!res.destroyed && sent < ENDLESS_CAP) {
      const buf = sent === 0 ? Buffer.concat([WAV.subarray(0, 44), chunk.subarray(44)]) : chunk;
      sent += buf.length;
      if (!res.write(buf)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

function route(req: IncomingMessage, res: ServerResponse): void {
  hostHeaders.push(req.headers.host ?? '');
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const redirect = (to: string): void => void res.writeHead(302, { location: to }).end();
  const hops = /^\/hops\/(\d+)$/.exec(path);
  if (hops) return redirect(Number(hops[1]) > 0 ? `/hops/${Number(hops[1]) - 1}` : '/song.wav');
  switch (path) {
    case '/song.wav':
    case '/audio':
      return void res.writeHead(200, { 'content-type': 'audio/wav' }).end(WAV);
    case '/page.mp3': // the name lies: content decides
      return void res
        .writeHead(200, { 'content-type': 'audio/mpeg' })
        .end('<!DOCTYPE html><html><body>Not found</body></html>');
    case '/data.json':
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"error":"nope"}');
    case '/cover.png':
      return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    case '/empty':
      return void res.writeHead(200).end();
    case '/missing':
      return void res.writeHead(404).end('<html>404</html>');
    case '/endless':
      return endless(res);
    case '/declares-huge':
      res.writeHead(200, { 'content-length': String(500 * 1024) });
      return void res.write(WAV.subarray(0, 44)); // then hangs
    case '/declares-101mb':
      res.writeHead(200, { 'content-length': String(101 * 1024 * 1024) });
      return void res.write(WAV.subarray(0, 44));
    case '/hang':
      res.writeHead(200, { 'content-type': 'audio/wav' });
      return void res.write(WAV.subarray(0, 44)); // then never finishes
    case '/trickle': {
      // one byte every 100 ms: never idle, but never done within the deadline
      res.writeHead(200, { 'content-type': 'audio/wav' });
      res.write(WAV.subarray(0, 44));
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(Buffer.alloc(1))), 100);
      return void res.once('close', () => clearInterval(timer));
    }
    case '/no-headers':
      return; // never answers at all
    case '/loop':
      return redirect('/loop');
    case '/to-metadata':
      return redirect('http://169.254.169.254/latest/meta-data/');
    case '/to-localhost':
      return redirect(`http://localhost:${(server.address() as AddressInfo).port}/song.wav`);
    case '/to-ftp':
      return redirect('ftp://example.com/song.wav');
    default:
      return void res.writeHead(404).end();
  }
}

let dir: string;
const onlyLoopback = (ip: string): boolean => ip === '127.0.0.1';
const opts = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  dir,
  isAllowedAddress: onlyLoopback,
  maxBytes: 200_000,
  timeoutMs: 1000,
  ...extra,
});

async function expectFailure(promise: Promise<unknown>, code: DownloadError['code'], message: string): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownloadError);
  expect((err as DownloadError).code).toBe(code);
  expect((err as DownloadError).message).toBe(message);
  expect(await readdir(dir)).toEqual([]);
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minidj-ingest-'));
  hostHeaders.length = 0;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('downloadAudio: successes', () => {
  it('downloads a WAV, names it by its content and reports size and type', async () => {
    const result = await downloadAudio(`${base}/audio`, opts());
    expect(result.bytes).toBe(WAV.length);
    expect(result.kind).toBe('wav');
    expect(result.contentType).toBe('audio/wav');
    expect(result.finalUrl).toBe(`${base}/audio`);
    expect(result.file.startsWith(dir)).toBe(true);
    expect(result.file.endsWith('.wav')).toBe(true);
    expect((await readFile(result.file)).equals(WAV)).toBe(true);
    expect(await readdir(dir)).toHaveLength(1);
  });

  it('follows a chain of exactly 5 redirects and reports the final URL', async () => {
    const result = await downloadAudio(`${base}/hops/4`, opts()); // 4 → … → 0 → song.wav: 5 redirects
    expect(result.finalUrl).toBe(`${base}/song.wav`);
    expect(result.bytes).toBe(WAV.length);
    expect(hostHeaders).toHaveLength(6);
  });

  it('connects to the vetted address while keeping the original Host header', async () => {
    const port = (server.address() as AddressInfo).port;
    const resolved: string[] = [];
    const result = await downloadAudio(
      `http://tracks.example:${port}/audio`,
      opts({
        resolveHost: async (host) => {
          resolved.push(host);
          return ['127.0.0.1'];
        },
      }),
    );
    expect(result.bytes).toBe(WAV.length);
    expect(resolved).toEqual(['tracks.example']);
    expect(hostHeaders).toEqual([`tracks.example:${port}`]);
  });
});

describe('downloadAudio: address policy', () => {
  it('refuses loopback by default, even when given as an IP literal', async () => {
    await expectFailure(
      downloadAudio(`${base}/audio`, { dir }),
      'private-address',
      'That link points to a private or local address, which Mini-DJ will not fetch.',
    );
    await expectFailure(
      downloadAudio('http://[::1]/audio', { dir }),
      'private-address',
      'That link points to a private or local address, which Mini-DJ will not fetch.',
    );
    await expectFailure(
      downloadAudio('http://2130706433/audio', { dir }),
      'private-address',
      'That link points to a private or local address, which Mini-DJ will not fetch.',
    );
    expect(hostHeaders).toEqual([]);
  });

  it('refuses the cloud metadata address by default', async () => {
    await expectFailure(
      downloadAudio('http://169.254.169.254/latest/meta-data/', { dir }),
      'private-address',
      'That link points to a private or local address, which Mini-DJ will not fetch.',
    );
  });

  it('refuses a hostname (localhost) that resolves to loopback with the default policy', async () => {
    const port = (server.address() as AddressInfo).port;
    await expectFailure(
      downloadAudio(`http://localhost:${port}/audio`, { dir }),
      'private-address',
      'That link points to a private or local address, which Mini-DJ will not fetch.',
    );
    expect(hostHeaders).toEqual([]);
  });

  it('refuses a host when any one of its addresses is private', async () => {
    const resolveHost = async (): Promise<string[]> => ['93.184.216.34', '10.0.0.7'];
    await expectFailure(
      downloadAudio('https://mixed.example/a.mp3', { dir, resolveHost }),
      'private-address',
      'That link points to a private or local address, which Mini-DJ will not fetch.',
    );
  });

  it('re-checks every redirect hop: a redirect to the metadata address is refused', async () => {
    await expectFailure(
      downloadAudio(`${base}/to-metadata`, opts()),
      'private-address',
      'That link points to a private or local address, which Mini-DJ will not fetch.',
    );
    expect(hostHeaders).toHaveLength(1);
  });

  it('re-resolves every redirect hop: a redirect to localhost is judged by what localhost resolves to', async () => {
    const resolved: string[] = [];
    const resolveHost = async (host: string): Promise<string[]> => {
      resolved.push(host);
      return ['127.0.0.2'];
    };
    await expectFailure(
      downloadAudio(`${base}/to-localhost`, opts({ resolveHost })),
      'private-address',
      'That link points to a private or local address, which Mini-DJ will not fetch.',
    );
    expect(resolved).toEqual(['localhost']);
  });

  it('reports a host that does not resolve', async () => {
    const resolveHost = async (): Promise<string[]> => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expectFailure(
      downloadAudio('https://nowhere.invalid/a.mp3', { dir, resolveHost }),
      'dns-failed',
      'Mini-DJ could not find the server for that link.',
    );
  });
});

describe('downloadAudio: schemes and redirects', () => {
  it.each(['ftp://example.com/song.mp3', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url'])(
    'refuses %s',
    async (url) => {
      await expectFailure(downloadAudio(url, opts()), 'bad-scheme', 'Only http(s) links can be queued.');
    },
  );

  it('refuses a redirect to another scheme', async () => {
    await expectFailure(downloadAudio(`${base}/to-ftp`, opts()), 'bad-scheme', 'Only http(s) links can be queued.');
  });

  it('gives up after 5 redirects', async () => {
    await expectFailure(
      downloadAudio(`${base}/hops/5`, opts()),
      'too-many-redirects',
      'That link redirects too many times.',
    );
    expect(hostHeaders).toHaveLength(6);
  });

  it('gives up on a redirect loop', async () => {
    await expectFailure(
      downloadAudio(`${base}/loop`, opts()),
      'too-many-redirects',
      'That link redirects too many times.',
    );
  });

  it('reports HTTP errors', async () => {
    await expectFailure(
      downloadAudio(`${base}/missing`, opts()),
      'http-error',
      'Mini-DJ could not download that link (the server answered 404).',
    );
  });
});

describe('downloadAudio: content', () => {
  it.each([
    ['/page.mp3', 'That is not an audio file (it looks like a web page).'],
    ['/data.json', 'That is not an audio file (it looks like JSON data).'],
    ['/cover.png', 'That is not an audio file (it looks like an image).'],
    ['/empty', 'That is not an audio file (it is empty).'],
  ])('refuses %s by its bytes', async (path, message) => {
    await expectFailure(downloadAudio(`${base}${path}`, opts()), 'not-audio', message);
  });
});

describe('downloadAudio: limits', () => {
  it('stops an endless stream at the size limit', async () => {
    const started = Date.now();
    await expectFailure(
      downloadAudio(`${base}/endless`, opts({ timeoutMs: 10_000 })),
      'too-large',
      'The file is larger than 0.2 MB.',
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses up front when Content-Length is over the limit', async () => {
    const started = Date.now();
    await expectFailure(
      downloadAudio(`${base}/declares-huge`, opts({ timeoutMs: 10_000 })),
      'too-large',
      'The file is larger than 0.2 MB.',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('uses 100 MB as the default limit', async () => {
    await expectFailure(
      downloadAudio(`${base}/declares-101mb`, opts({ maxBytes: undefined })),
      'too-large',
      'The file is larger than 100 MB.',
    );
  });

  it('fails a hanging response at the overall time limit', async () => {
    const started = Date.now();
    // The message tells the overall limit from the idle one (15 s here); a loaded machine can only make it later.
    await expectFailure(downloadAudio(`${base}/hang`, opts()), 'timeout', 'The download took too long.');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('fails a trickling response at the overall time limit even though it is never idle', async () => {
    await expectFailure(
      downloadAudio(`${base}/trickle`, opts({ idleTimeoutMs: 500 })),
      'timeout',
      'The download took too long.',
    );
  });

  it('fails a server that never answers at the idle limit', async () => {
    // The idle limit's message, not the overall limit's: it fired first.
    await expectFailure(
      downloadAudio(`${base}/no-headers`, opts({ idleTimeoutMs: 200, timeoutMs: 5000 })),
      'timeout',
      'The server stopped sending data.',
    );
  });

  it('fails a stalled body at the idle limit', async () => {
    await expectFailure(
      downloadAudio(`${base}/hang`, opts({ idleTimeoutMs: 200, timeoutMs: 5000 })),
      'timeout',
      'The server stopped sending data.',
    );
  });

  it('counts DNS time against the overall limit', async () => {
    const resolveHost = (): Promise<string[]> => new Promise(() => undefined);
    await expectFailure(
      downloadAudio('https://slow-dns.example/a.mp3', { dir, resolveHost, timeoutMs: 300 }),
      'timeout',
      'The download took too long.',
    );
  });
});
