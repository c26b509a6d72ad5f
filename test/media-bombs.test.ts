import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { AudioInputError } from '../src/audio/io/audio-input-error.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { hashFile } from '../src/db/content-hash.ts';
import { ingestFile } from '../src/ingest/ingest-file.ts';
import { prestartSpawner } from '../src/util/spawner.ts';
import { watchFfmpegMemory } from './helpers/child-memory.ts';
import { ffmpegMake, makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { mp4IndexBomb, rateBombArgs } from './helpers/hostile-media.ts';

/** The decoders' default memory limit (MINIDJ_FFMPEG_MEMORY_MB): what no ffmpeg may pass. */
const LIMIT_BYTES = 1024 * 1024 * 1024;

let tmp: ReturnType<typeof makeTempDir>;
let pool: AnalyzerPool;
let store: AnalysisStore;
const files: Record<string, string> = {};

beforeAll(async () => {
  tmp = makeTempDir();
  // The probe's helper process is up before the clock starts, as the bot starts it at launch.
  prestartSpawner();
  pool = new AnalyzerPool({ size: 1 });
  store = await AnalysisStore.open(path.join(tmp.dir, 'store.sqlite'));
  // Issue 25's bombs: a real 30 s AAC track with a second track declaring 85 M samples (0.37 MB), and WavPack in
  // Matroska at 16 MHz (1.2 s here: the rate is the bomb, not the length).
  const m4a = ffmpegMake(path.join(tmp.dir, 'real.m4a'), [
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.5*sin(2*PI*220*t)*exp(-6*mod(t\\,0.5)):s=44100:d=30',
    '-ac',
    '2',
    '-c:a',
    'aac',
    '-b:a',
    '96k',
  ]);
  files.indexBomb = path.join(tmp.dir, 'index-bomb.m4a');
  writeFileSync(files.indexBomb, mp4IndexBomb(readFileSync(m4a)));
  files.rateBomb = ffmpegMake(path.join(tmp.dir, 'rate-bomb.mka'), rateBombArgs(16_000_000, 1.2));
}, 60_000);
afterAll(async () => {
  await pool.close();
  await store.close();
  tmp.cleanup();
});

/** Ingests `file`, timing it and watching every ffmpeg and ffprobe that reads it. */
async function ingestWatched(file: string): Promise<{ error: unknown; ms: number; peakBytes: number }> {
  const watch = watchFfmpegMemory();
  const started = performance.now();
  const error = await ingestFile(file, pool, store).then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = performance.now() - started;
  const seen = watch.stop().get(file);
  return { error, ms, peakBytes: seen?.peakBytes ?? 0 };
}

describe("issue 25's bombs are refused at ingest, before any decode", () => {
  it('the m4a index bomb: a clear error in well under a second, nothing stored, no ffmpeg above the memory limit', async () => {
    const { error, ms, peakBytes } = await ingestWatched(files.indexBomb!);
    expect(error).toBeInstanceOf(AudioInputError);
    expect(error).toMatchObject({
      code: 'corrupt',
      message:
        'This file is damaged or built to exhaust memory: a track declares 85,000,000 samples in a 0.4 MB file. Re-export it as MP3, FLAC or WAV.',
    });
    expect(ms).toBeLessThan(1000);
    expect(peakBytes).toBeLessThan(LIMIT_BYTES);
    expect(await store.get(await hashFile(files.indexBomb!))).toBeUndefined();
  });

  it('the 16 MHz WavPack in Matroska: a clear error, nothing stored, no ffmpeg above the memory limit', async () => {
    const { error, ms, peakBytes } = await ingestWatched(files.rateBomb!);
    expect(error).toBeInstanceOf(AudioInputError);
    expect(error).toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(
        /^The audio in this Matroska\/WebM file is wavpack at 16,000,000 Hz with 1 channel; Mini-DJ plays .* at 8,000 to 192,000 Hz, with 1 to 8 channels\./,
      ) as unknown,
    });
    // One probe of the file (0.07-0.11 CPU-s; bench/vet-cost.ts measures it): seconds only on a machine loaded many
    // times over, where the old code took 7.5 s to fail inside the analyser (and 72 s on the 90 s file).
    expect(ms).toBeLessThan(5000);
    expect(peakBytes).toBeLessThan(LIMIT_BYTES);
    expect(await store.get(await hashFile(files.rateBomb!))).toBeUndefined();
  });
});
