import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { decodeForAnalysis } from '../src/audio/analysis/decode-for-analysis.ts';
import { DeckReader, deckFilters } from '../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../src/audio/io/mix-format.ts';
import { ffmpegFailure } from '../src/audio/io/ffmpeg-failure.ts';
import { openFileInput } from '../src/audio/io/ffmpeg-input.ts';
import { ffmpegPath } from '../src/audio/io/ffmpeg-path.ts';
import { startFfmpeg } from '../src/audio/io/ffmpeg-process.ts';
import { audioLimitsFromEnv } from '../src/audio/io/limits.ts';
import { probeMedia } from '../src/audio/io/media-probe.ts';
import { checkMediaRules } from '../src/audio/io/media-rules.ts';
import { pickTags, sanitizeTag } from '../src/audio/io/media-tags.ts';
import { vetMedia } from '../src/audio/io/vet-media.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { ingestFile } from '../src/ingest/ingest-file.ts';
import { watchFfmpegMemory } from './helpers/child-memory.ts';
import { ffmpegMake, makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { mp4IndexBomb, rateBombArgs } from './helpers/hostile-media.ts';

const limits = audioLimitsFromEnv({});
const LIMIT_BYTES = 1024 * 1024 * 1024;
const TAGS = { title: 'Glass Steps (Extended) **not bold**', artist: 'Ünïcode Artist', album: 'Night Drive' };

let tmp: ReturnType<typeof makeTempDir>;
/** An ffmpeg with no ffprobe beside it (as the npm builds ship): the fallback prober. */
let bareFfmpeg: string;
const tagged: Record<string, string> = {};

const tone = (hz: number, rate: number, seconds: number): string[] => [
  '-f',
  'lavfi',
  '-i',
  `sine=f=${hz}:r=${rate}:d=${seconds}`,
];
const metadata = (keys: [string, string, string]): string[] => [
  `-metadata`,
  `${keys[0]}=${TAGS.title}`,
  '-metadata',
  `${keys[1]}=${TAGS.artist}`,
  '-metadata',
  `${keys[2]}=${TAGS.album}`,
];

beforeAll(() => {
  tmp = makeTempDir();
  bareFfmpeg = path.join(tmp.dir, 'bin', 'ffmpeg');
  mkdirSync(path.dirname(bareFfmpeg));
  writeFileSync(bareFfmpeg, `#!/bin/sh\nexec ${ffmpegPath()} "$@"\n`);
  chmodSync(bareFfmpeg, 0o755);
  const keys: [string, string, string] = ['title', 'artist', 'album'];
  tagged.mp3 = ffmpegMake(path.join(tmp.dir, 'tagged.mp3'), [
    ...tone(440, 44100, 1),
    '-c:a',
    'libmp3lame',
    '-id3v2_version',
    '3',
    ...metadata(keys),
  ]);
  // Vorbis comments and FLAC tags in capitals, as taggers write them: keys are matched whatever their case.
  tagged.opus = ffmpegMake(path.join(tmp.dir, 'tagged.opus'), [
    ...tone(440, 48000, 1),
    '-c:a',
    'libopus',
    ...metadata(['TITLE', 'ARTIST', 'ALBUM']),
  ]);
  tagged.flac = ffmpegMake(path.join(tmp.dir, 'tagged.flac'), [
    ...tone(440, 44100, 1),
    ...metadata(['TITLE', 'Artist', 'album']),
  ]);
  tagged.m4a = ffmpegMake(path.join(tmp.dir, 'tagged.m4a'), [...tone(440, 44100, 1), '-c:a', 'aac', ...metadata(keys)]);
});
afterAll(() => tmp.cleanup());

describe('tags', () => {
  it.each(['mp3', 'opus', 'flac', 'm4a'])(
    'title, artist and album from %s, by ffprobe and by the ffmpeg-only fallback alike',
    async (kind) => {
      expect((await vetMedia(tagged[kind]!)).tags).toEqual(TAGS);
      expect((await vetMedia(tagged[kind]!, { ffmpeg: bareFfmpeg })).tags).toEqual(TAGS);
    },
  );

  it('are plain text: control and bidi characters stripped, spaces collapsed, at most 100 characters, never half an emoji', () => {
    expect(sanitizeTag('  Line\none\u0000\u0007 \u202eevil\u202c\t end  ')).toBe('Line one evil end');
    expect(sanitizeTag('\u0001\n ')).toBeUndefined();
    expect(sanitizeTag(42)).toBeUndefined();
    const long = sanitizeTag(`${'a'.repeat(99)}😀😀`)!;
    expect([...long]).toHaveLength(100);
    expect(long.endsWith('😀')).toBe(true);
    expect(sanitizeTag('**bold** <@123> ||x||')).toBe('**bold** <@123> ||x||');
  });

  it("keys match whatever their case; the file's tags come before the stream's; album_artist is not the artist", () => {
    expect(
      pickTags(
        { TITLE: 'From the file', album_artist: 'Various' },
        { title: 'From the stream', Artist: 'Stream artist' },
      ),
    ).toEqual({ title: 'From the file', artist: 'Stream artist' });
  });
});

describe('ingest', () => {
  it('probes a new file once: the analysis decodes it as ingest vetted it, and the tags are stored with the analysis', async () => {
    const store = await AnalysisStore.open(path.join(tmp.dir, 'ingest.sqlite'));
    const pool = new AnalyzerPool({ size: 1 });
    const watch = watchFfmpegMemory(2);
    try {
      const result = await ingestFile(tagged.flac!, pool, store);
      expect(result.tags).toEqual(TAGS);
      expect((await store.get(result.contentHash))?.tags).toEqual(TAGS);
    } finally {
      await pool.close();
      await store.close();
    }
    expect(watch.stop().get(tagged.flac!)?.programs.sort()).toEqual(['ffmpeg', 'ffprobe']);
  });
});

describe('a legitimate high-resolution or surround file still plays', () => {
  it('96 kHz 5.1 FLAC: analysed at 44.1 kHz, played as 48 kHz stereo', async () => {
    const file = ffmpegMake(path.join(tmp.dir, 'surround.flac'), [
      ...tone(1000, 96000, 2),
      '-af',
      'pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0',
    ]);
    expect((await vetMedia(file)).stream).toEqual({ index: 0, codec: 'flac', sampleRate: 96000, channels: 6 });
    const input = await decodeForAnalysis(file, limits);
    expect(input.sampleRate).toBe(44100);
    expect(Math.abs(input.durationSec - 2)).toBeLessThan(0.01);
    const deck = new DeckReader({ file, fromSec: 0.5 });
    const out = await deck.read(MIX_RATE);
    deck.close();
    // A 1 kHz tone: 2,000 sign changes a second in each channel.
    let crossings = 0;
    for (let i = 2; i < out.length; i += 2) if (out[i]! >= 0 !== out[i - 2]! >= 0) crossings++;
    expect(Math.abs(crossings - 2000)).toBeLessThan(10);
  });

  it('a stretched deck resamples a 192 kHz source to 48 kHz before rubberband, which never sees more', () => {
    const base = {
      schedule: [{ atSec: 0, tempo: 1.02 }],
      start: 0,
      timing: { startSec: 0.02, leadSec: { independent: 0.1, laminar: 0.08 } },
      seeksExactly: true,
      gain: 1,
    };
    const hires = deckFilters({ ...base, sampleRate: 192000 });
    expect(hires.indexOf('aresample=48000:resampler=soxr')).toBeLessThan(
      hires.findIndex((f) => f.startsWith('rubberband=')),
    );
    // At 48 kHz and below, stretch first (rubberband's cost grows with the rate): one resampling, after it.
    const cd = deckFilters({ ...base, sampleRate: 44100 });
    expect(cd.filter((f) => f.startsWith('aresample='))).toHaveLength(1);
    expect(cd.findIndex((f) => f.startsWith('aresample='))).toBeGreaterThan(
      cd.findIndex((f) => f.startsWith('rubberband=')),
    );
  });
});

describe("every ffmpeg and ffprobe on a member's file runs under the memory and CPU limits", () => {
  it('the probe, the analysis decode and a deck', async () => {
    const file = ffmpegMake(path.join(tmp.dir, 'limited.flac'), tone(440, 44100, 20));
    const watch = watchFfmpegMemory(5);
    await decodeForAnalysis(file, limits);
    const deck = new DeckReader({ file, fromSec: 0, highWaterFrames: MIX_RATE });
    await deck.read(MIX_RATE);
    // The deck's ffmpeg waits, paused by backpressure, while it is looked at.
    await new Promise((resolve) => setTimeout(resolve, 100));
    deck.close();
    const seen = watch.stop().get(file)!;
    expect(seen.processes).toBeGreaterThanOrEqual(3);
    for (const l of seen.limits) expect(l.addressSpace).toBe(String(LIMIT_BYTES));
    expect(seen.limits.map((l) => l.cpuSec).sort()).toEqual(
      [...Array(seen.processes - 2).fill('10'), '120', '120'].sort(),
    );
  });

  it('an ffmpeg past its CPU limit is stopped, and the decode says so', async () => {
    // A stretch of an hour at 192 kHz: a second of CPU in about that much time, whatever the machine.
    const args = [
      '-nostdin',
      '-v',
      'info',
      '-f',
      'lavfi',
      '-i',
      'sine=d=3600:r=192000',
      '-af',
      'rubberband=tempo=1.03',
      '-f',
      'null',
      '-',
    ];
    const child = startFfmpeg(ffmpegPath(), args, { limits: { memoryBytes: LIMIT_BYTES, cpuSec: 1 }, direct: true });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c: number | null, s: NodeJS.Signals | null) => resolve([c, s])),
    );
    const failure = ffmpegFailure({ code, signal, stderr, timedOut: false }, 'x.wav', 120_000, {
      memoryBytes: LIMIT_BYTES,
      cpuSec: 1,
    });
    expect(failure).toMatchObject({
      code: 'decoder-timeout',
      message:
        'ffmpeg used more than 1 s of CPU on this file, so it was stopped: it is damaged or built to exhaust the machine.',
    });
  });

  it('the index bomb opened by ffprobe alone (no check of its tables first) stays under the limit, and its frame count refuses it', async () => {
    const m4a = ffmpegMake(path.join(tmp.dir, 'real.m4a'), [...tone(440, 44100, 10), '-c:a', 'aac']);
    const bomb = path.join(tmp.dir, 'bomb.m4a');
    writeFileSync(bomb, mp4IndexBomb(readFileSync(m4a)));
    const watch = watchFfmpegMemory(5);
    const started = performance.now();
    const media = await probeMedia(bomb, openFileInput(bomb).args, { ffmpeg: ffmpegPath(), timeoutMs: 15_000 });
    const ms = performance.now() - started;
    expect(watch.stop().get(bomb)!.peakBytes).toBeLessThan(LIMIT_BYTES);
    expect(ms).toBeLessThan(5000);
    expect(media.streams[0]!.frames).toBeLessThan(1000);
    expect(media.streams[1]!.frames).toBe(85_000_000);
    expect(() => checkMediaRules('mp4', media, readFileSync(bomb).length)).toThrow(
      /a stream declares 85,000,000 frames in a [\d.]+ (MB|kB) file/,
    );
  });
});

describe('the rules', () => {
  it('refuse the rate bomb and odd codecs, by ffprobe and by the ffmpeg-only fallback alike', async () => {
    const files = {
      rate: ffmpegMake(path.join(tmp.dir, 'rate.mka'), rateBombArgs(655_360, 1)),
      tta: ffmpegMake(path.join(tmp.dir, 'tta.mka'), [...tone(440, 44100, 1), '-c:a', 'tta']),
      adpcm: ffmpegMake(path.join(tmp.dir, 'adpcm.wav'), [...tone(440, 44100, 1), '-c:a', 'adpcm_ms']),
      ac3: ffmpegMake(path.join(tmp.dir, 'ac3.m4a'), [...tone(440, 48000, 1), '-c:a', 'ac3']),
    };
    for (const ffmpeg of [undefined, bareFfmpeg]) {
      const refusals = await Promise.all(
        Object.values(files).map((f) =>
          vetMedia(f, { ffmpeg }).then(
            () => undefined,
            (e: Error) => e.message,
          ),
        ),
      );
      expect(refusals.map((m) => /is (\w+) at ([\d,]+) Hz/.exec(m ?? '')?.slice(1))).toEqual([
        ['wavpack', '655,360'],
        ['tta', '44,100'],
        ['adpcm_ms', '44,100'],
        ['ac3', '48,000'],
      ]);
    }
  });
});
