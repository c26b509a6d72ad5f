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
export function runMinidj(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.resolve('bin/minidj.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

function mp4Box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

const u32s = (...values: number[]): Buffer => {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
};

/** The child box of `type` in `[from, to)` of `b`: [offset, size]. */
function childBox(b: Buffer, from: number, to: number, type: string): [number, number] {
  for (let at = from; at + 8 <= to; at += b.readUInt32BE(at))
    if (b.toString('latin1', at + 4, at + 8) === type) return [at, b.readUInt32BE(at)];
  throw new Error(`no ${type} box`);
}

/**
 * The MP4 index bomb of issue 25: a real (ffmpeg-made, moov-last) M4A with a second track that copies the first's
 * sample description and declares `samples` samples of one byte each, timed `delta` apart, in one chunk: 40 bytes
 * of tables that ffmpeg's demuxer turns into an index of `samples` × 24 bytes.
 */
export function mp4IndexBomb(m4a: Buffer, samples = 85_000_000, delta = 1024): Buffer {
  const [moov, moovSize] = childBox(m4a, 0, m4a.length, 'moov');
  const [trak, trakSize] = childBox(m4a, moov + 8, moov + moovSize, 'trak');
  const [tkhd, tkhdSize] = childBox(m4a, trak + 8, trak + trakSize, 'tkhd');
  const [mdia, mdiaSize] = childBox(m4a, trak + 8, trak + trakSize, 'mdia');
  const [minf, minfSize] = childBox(m4a, mdia + 8, mdia + mdiaSize, 'minf');
  const [stbl, stblSize] = childBox(m4a, minf + 8, minf + minfSize, 'stbl');
  const [stsd, stsdSize] = childBox(m4a, stbl + 8, stbl + stblSize, 'stsd');
  const slice = ([at, size]: [number, number]): Buffer => m4a.subarray(at, at + size);
  const header = Buffer.from(slice([tkhd, tkhdSize]));
  header.writeUInt32BE(2, 20); // track_ID (version 0: after version/flags, creation and modification times)
  const tables = mp4Box(
    'stbl',
    slice([stsd, stsdSize]),
    mp4Box('stts', u32s(0, 1, samples, delta)),
    mp4Box('stsc', u32s(0, 1, 1, samples, 1)),
    mp4Box('stsz', u32s(0, 1, samples)),
    mp4Box('stco', u32s(0, 1, 44)),
  );
  const minfParts: Buffer[] = [];
  for (let at = minf + 8; at < minf + minfSize; at += m4a.readUInt32BE(at))
    minfParts.push(at === stbl ? tables : slice([at, m4a.readUInt32BE(at)]));
  const mdiaParts: Buffer[] = [];
  for (let at = mdia + 8; at < mdia + mdiaSize; at += m4a.readUInt32BE(at))
    mdiaParts.push(at === minf ? mp4Box('minf', ...minfParts) : slice([at, m4a.readUInt32BE(at)]));
  const second = mp4Box('trak', header, mp4Box('mdia', ...mdiaParts));
  return Buffer.concat([
    m4a.subarray(0, moov),
    mp4Box('moov', m4a.subarray(moov + 8, moov + moovSize), second),
    m4a.subarray(moov + moovSize),
  ]);
}

/** The sample-rate bomb of issue 25, short: WavPack in Matroska at `rate` Hz (a 440 Hz tone). */
export function rateBombArgs(rate: number, seconds: number): string[] {
  return ['-f', 'lavfi', '-i', `sine=f=440:r=${rate}:d=${seconds}`, '-c:a', 'wavpack', '-f', 'matroska'];
}
