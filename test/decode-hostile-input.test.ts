import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AudioInputError } from '../src/audio/io/audio-input-error.ts';
import { DeckReader } from '../src/audio/io/deck-reader.ts';
import { fileInputArgs, pipeInputArgs } from '../src/audio/io/ffmpeg-input.ts';
import { decodeForAnalysis } from '../src/audio/analysis/decode-for-analysis.ts';
import { audioLimitsFromEnv } from '../src/audio/io/limits.ts';
import { makeTempDir, makeTone } from './helpers/ffmpeg-fixtures.ts';
import type { Canary, CountingServer } from './helpers/hostile-media.ts';
import {
  countingServer,
  dashManifest,
  ffconcat,
  fifoCanary,
  hlsPlaylist,
  id3Tag,
  runMinidj,
} from './helpers/hostile-media.ts';

const limits = { ...audioLimitsFromEnv({}), decodeTimeoutMs: 15_000 };
let tmp: ReturnType<typeof makeTempDir>;
let server: CountingServer;
let canary: Canary;
let hostile: Record<string, string>;

beforeAll(async () => {
  tmp = makeTempDir();
  server = await countingServer();
  canary = fifoCanary(tmp.dir, 'canary.wav'); // a media extension: HLS opens only those
  const write = (name: string, body: string): string => {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, Buffer.concat([id3Tag(), Buffer.from(body)]));
    return file;
  };
  hostile = {
    'DASH manifest': write('dash.mp3', dashManifest(server.url)),
    'HLS of file:// segments': write('hls-file.mp3', hlsPlaylist([`file://${canary.file}`, `file://${canary.file}`])),
    'HLS of http:// segments': write('hls-http.mp3', hlsPlaylist([`${server.url}/seg0.ts`, `${server.url}/seg1.ts`])),
    ffconcat: write('concat.mp3', ffconcat([path.basename(canary.file), path.basename(canary.file)])),
  };
});
beforeEach(() => {
  server.requests.length = 0;
});
afterAll(async () => {
  canary.stop();
  await server.close();
  tmp.cleanup();
});

async function failure(promise: Promise<unknown>): Promise<AudioInputError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AudioInputError);
  return err as AudioInputError;
}

describe('a file that hides a playlist or manifest behind an ID3 tag', () => {
  it.each(['DASH manifest', 'HLS of file:// segments', 'HLS of http:// segments', 'ffconcat'])(
    '%s is refused, opening nothing else',
    async (name) => {
      const before = canary.opened();
      const err = await failure(decodeForAnalysis(hostile[name]!, limits));
      expect(server.requests).toEqual([]);
      expect(canary.opened()).toBe(before);
      expect(err.code).toBe('corrupt');
      expect(err.message).toMatch(/^This is not audio that can be decoded: .*it does not start like MP3/);
    },
  );

  it('is refused by the decks that play the set too', async () => {
    const before = canary.opened();
    const errors: unknown[] = [];
    for (const file of Object.values(hostile)) {
      const deck = new DeckReader({ file, fromSec: 0 });
      errors.push(
        await deck.read(4800).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      deck.close();
    }
    expect(server.requests).toEqual([]);
    expect(canary.opened()).toBe(before);
    for (const err of errors)
      expect(err).toMatchObject({
        name: 'AudioInputError',
        message: expect.stringMatching(/cannot be played: This is not audio/) as unknown,
      });
  });

  it('is refused by `minidj analyze`, one {file, error, code} line each, nothing fetched or opened', async () => {
    const before = canary.opened();
    const files = Object.values(hostile);
    const run = await runMinidj(
      ['analyze', ...files, '--json', '--no-store'],
      { MINIDJ_DECODE_TIMEOUT_SEC: '15' },
      60_000,
    );
    expect(server.requests).toEqual([]);
    expect(canary.opened()).toBe(before);
    expect(run.status).toBe(1);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.file)).toEqual(files);
    for (const line of lines)
      expect(line).toEqual({
        file: line.file,
        code: 'corrupt',
        error: expect.stringMatching(/looks like (a web page|a playlist)/) as unknown,
      });
  });

  it('the canary sees a reader, and the server a request (so the checks above can fail)', async () => {
    const before = canary.opened();
    const reader = spawn('timeout', ['5', 'head', '-c', '1', canary.file]);
    expect(await new Promise((resolve) => reader.on('close', resolve))).toBe(0);
    expect(canary.opened()).toBeGreaterThan(before);
    await fetch(`${server.url}/probe`, { redirect: 'manual' });
    expect(server.requests).toEqual(['/probe']);
  });
});

describe('an ID3 tag must be followed by audio', () => {
  it('decodes an MP3 with a long tag, and one with zero padding after the tag', async () => {
    const mp3 = makeTone(path.join(tmp.dir, 'plain.mp3'), 2, [
      '-c:a',
      'libmp3lame',
      '-id3v2_version',
      '0',
      '-write_xing',
      '0',
    ]);
    const audio = readFileSync(mp3);
    for (const [name, head] of [
      ['tagged', id3Tag(300_000)],
      ['padded', Buffer.concat([id3Tag(100), Buffer.alloc(2000)])],
    ] as const) {
      const file = path.join(tmp.dir, `${name}.mp3`);
      writeFileSync(file, Buffer.concat([head, audio]));
      const input = await decodeForAnalysis(file, limits);
      expect(Math.abs(input.durationSec - 2), name).toBeLessThan(0.1);
    }
  });

  it('refuses a tag followed by nothing, by text, or by a tag that runs past the end', async () => {
    const cases: [string, Buffer][] = [
      ['tag-only.mp3', id3Tag(5000)],
      ['tag-text.mp3', Buffer.concat([id3Tag(10), Buffer.from('hello there, not audio\n'.repeat(50))])],
      ['tag-cut.mp3', id3Tag(5000).subarray(0, 2000)],
    ];
    for (const [name, bytes] of cases) {
      const file = path.join(tmp.dir, name);
      writeFileSync(file, bytes);
      expect((await failure(decodeForAnalysis(file, limits))).code, name).toBe('corrupt');
    }
  });
});

describe('what users are told', () => {
  it('a folder, and a link to a device, are "not a regular file"; no server path is shown', async () => {
    const folder = path.join(tmp.dir, 'a-folder.mp3');
    mkdirSync(folder);
    const device = path.join(tmp.dir, 'zero.mp3');
    symlinkSync('/dev/zero', device);
    for (const file of [folder, device]) {
      const err = await failure(decodeForAnalysis(file, limits));
      expect(err.message).toBe(`"${path.basename(file)}" is not a regular file (a folder or a device, say).`);
    }
  });

  it("ffmpeg's error line names the file by its name only", async () => {
    // Sniffs as MP3 (a frame header), then is junk: ffmpeg itself fails and its message is passed on.
    const file = path.join(tmp.dir, 'junk-frames.mp3');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(3000, 0x55)]));
    const err = await failure(decodeForAnalysis(file, limits));
    expect(err.message).not.toContain(tmp.dir);
    expect(err.message).not.toMatch(/\/tmp\//);
  });
});

describe('ffmpeg input options', () => {
  it('force the sniffed demuxer, allow only the file protocol, and name the file as file:<absolute path>', () => {
    const wav = makeTone(path.join(tmp.dir, 'args.wav'), 1);
    const relative = path.relative(process.cwd(), wav);
    expect(fileInputArgs(relative)).toEqual(['-protocol_whitelist', 'file', '-f', 'wav', '-i', `file:${wav}`]);
    expect(pipeInputArgs(['-f', 'f32le'])).toEqual(['-protocol_whitelist', 'pipe', '-f', 'f32le', '-i', 'pipe:0']);
  });
});
