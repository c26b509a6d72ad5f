import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIX_RATE } from '../../src/audio/io/mix-format.ts';
import { concatSamples } from '../../src/audio/io/pcm.ts';
import { SetEngine } from '../../src/audio/set/set-engine.ts';
import type { SetEvent } from '../../src/audio/set/set-engine.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import { AnalysisStore } from '../../src/db/analysis-store.ts';
import { hashFile } from '../../src/db/content-hash.ts';
import { ingestFile } from '../../src/ingest/ingest-file.ts';
import { botCrate } from '../helpers/bot-tracks.ts';
import { watchFfmpegMemory } from '../helpers/child-memory.ts';
import { ffmpegMake, makeTempDir } from '../helpers/ffmpeg-fixtures.ts';
import { rmsDb } from '../helpers/pcm-level.ts';
import { mp4IndexBomb } from '../helpers/hostile-media.ts';
import { unplayableNotice } from '../../src/bot/live/unplayable-notice.ts';

const LIMIT_BYTES = 1024 * 1024 * 1024;

let tmp: ReturnType<typeof makeTempDir>;
let crate: PlannedTrack[];
let bomb: string;

beforeAll(async () => {
  tmp = makeTempDir();
  crate = await botCrate();
  // The crate's first track as an M4A, then made an index bomb: the audio of a track the store knows.
  const m4a = ffmpegMake(path.join(tmp.dir, 'real.m4a'), ['-i', crate[0]!.file, '-c:a', 'aac', '-b:a', '96k']);
  bomb = path.join(tmp.dir, 'index-bomb.m4a');
  writeFileSync(bomb, mp4IndexBomb(readFileSync(m4a)));
}, 180_000);
afterAll(() => tmp.cleanup());

describe('a track stored under older rules that the rules now refuse', () => {
  it('is refused when added again, with a clear error, and its record is left as it was', async () => {
    const store = await AnalysisStore.open(path.join(tmp.dir, 'store.sqlite'));
    try {
      // As if accepted before there were rules: no rules version on the record.
      const hash = await hashFile(bomb);
      await store.put({
        hash,
        sourceName: 'index-bomb.m4a',
        bytes: readFileSync(bomb).length,
        analysis: crate[0]!.analysis,
      });
      const before = await store.get(hash);
      const analyzer = {
        analyze: () => Promise.reject(new Error('must not be analysed')),
        waiting: () => 0,
        close: () => Promise.resolve(),
      };
      await expect(ingestFile(bomb, analyzer, store)).rejects.toMatchObject({
        name: 'AudioInputError',
        code: 'corrupt',
        message: expect.stringMatching(
          /^This file is damaged or built to exhaust memory: a track declares 85,000,000 samples/,
        ) as unknown,
      });
      expect(await store.get(hash)).toEqual(before);
    } finally {
      await store.close();
    }
  });

  it('is refused at deck open: the set cuts to the next track at once, and no ffmpeg goes past the memory limit', async () => {
    const stored: PlannedTrack = { ...crate[0]!, id: 'bomb', title: 'bomb', file: bomb };
    const next: PlannedTrack = { ...crate[1]!, id: 'next', title: 'next' };
    const events: SetEvent[] = [];
    const engine = new SetEngine([stored, next], {
      renderer: { render: () => Promise.reject(new Error('not rendered here')) },
      onEvent: (e) => events.push(e),
    });
    const watch = watchFfmpegMemory();
    const chunks: Float32Array[] = [];
    try {
      for await (const chunk of engine.stream()) chunks.push(chunk);
    } finally {
      watch.stop();
    }
    const errors = events.flatMap((e) => (e.type === 'deck-error' ? [e] : []));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      track: { id: 'bomb' },
      recovered: false,
      error: { name: 'AudioInputError', code: 'corrupt' },
    });
    expect(errors[0]!.error.message).toMatch(
      /^index-bomb\.m4a cannot be played: This file is damaged or built to exhaust memory: a track declares 85,000,000 samples/,
    );
    expect(engine.report.map((t) => [t.style, t.explanation])).toEqual([
      ['cut', 'bomb could not be played on, so a cut to next'],
    ]);
    // The channel is told the rules refused it, not that a decoder stopped; a crashed decoder still reads as one.
    expect(unplayableNotice('**bomb**', errors[0]!.error)).toMatch(
      /^\*\*\\\*\\\*bomb\\\*\\\*\*\* could not be played, so the set cut to the next track: its file is no longer accepted\. This file is damaged or built to exhaust memory: a track declares 85,000,000 samples .*Re-export it as MP3, FLAC or WAV\.$/,
    );
    expect(unplayableNotice('bomb', new Error('ffmpeg exited 1'))).toBe(
      '**bomb** could not be played on (its audio decoder kept stopping), so the set cut to the next track.',
    );
    // The next track plays from the start of the set: no silence where the refused one was, and it plays through.
    const stereo = concatSamples(chunks);
    expect(rmsDb(stereo, 0.05, 2)).toBeGreaterThan(-40);
    expect(stereo.length / 2 / MIX_RATE).toBeGreaterThan(next.analysis.durationSec - next.analysis.cues.mixIn - 1);
    expect(Math.max(0, ...[...watch.byFile.values()].map((m) => m.peakBytes))).toBeLessThan(LIMIT_BYTES);
  });
});
