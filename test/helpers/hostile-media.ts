import { execFileSync, spawn } from 'node:child_process';
import { constants, closeSync, openSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** An ID3v2.4 tag of `bodyBytes` zero bytes (a syncsafe size), as taggers write before MP3 audio. */
export function id3Tag(bodyBytes = 0): Buffer {
  const size = [21, 14, 7, 0].map((shift) => (bodyBytes >> shift) & 0x7f);
  return Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, ...size]), Buffer.alloc(bodyBytes)]);
}

/** A loopback HTTP server that counts every request (and answers each with a redirect to another loopback path). */
export interface CountingServer {
  url: string;
  requests: string[];
  close: () => Promise<void>;
}

export async function countingServer(): Promise<CountingServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(302, { location: '/internal/next' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A local file no decoder may open: a FIFO. Whoever opens it for reading is seen, because a non-blocking open for
 * writing succeeds only while a reader has it open (the watcher then writes a line and closes, so the reader is not
 * left blocked). `opened` counts the readers seen.
 */
export interface Canary {
  file: string;
  opened: () => number;
  stop: () => void;
}

export function fifoCanary(dir: string, name = 'canary.fifo'): Canary {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  let opened = 0;
  const timer = setInterval(() => {
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      return; // ENXIO: no reader
    }
    opened++;
    try {
      writeSync(fd, 'canary\n');
    } catch {
      // the reader went away
    }
    closeSync(fd);
  }, 5);
  return { file, opened: () => opened, stop: () => clearInterval(timer) };
}

/** A DASH manifest whose BaseURL points at `url`. */
export function dashManifest(url: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
  <BaseURL>${url}/</BaseURL>
  <Period start="PT0S">
    <AdaptationSet mimeType="audio/mp4" contentType="audio">
      <Representation id="1" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="44100">
        <BaseURL>audio.mp4</BaseURL>
        <SegmentBase indexRange="0-100"><Initialization range="0-100"/></SegmentBase>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`;
}

/** An HLS playlist of `segments` (URLs or paths). */
export function hlsPlaylist(segments: string[]): string {
  const body = segments.map((s) => `#EXTINF:2.0,\n${s}\n`).join('');
  return `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n${body}#EXT-X-ENDLIST\n`;
}

/** An ffconcat list of `entries` (paths relative to the list, which the concat demuxer's safe mode allows). */
export function ffconcat(entries: string[]): string {
  return `ffconcat version 1.0\n${entries.map((e) => `file ${e}\n`).join('')}`;
}

/**
 * Runs `minidj` without blocking this process (spawnSync would stall the counting server and the canary's watcher,
 * hiding what the child did), killed after `timeoutMs`.
 */
export function runMinidj(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.resolve('bin/minidj.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
