import { copyFileSync } from 'node:fs';
import path from 'node:path';
import type { Analyzer } from '../../src/audio/analysis/analyzer.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import type { AnalysisStore } from '../../src/db/analysis-store.ts';
import type { GuildStore } from '../../src/db/guild-store.ts';
import type { TrackFiles } from '../../src/db/track-files.ts';
import { ingestFile } from '../../src/ingest/ingest-file.ts';
import type { IngestResult, KeepFile } from '../../src/ingest/ingest-file.ts';
import { structureForBars } from '../../src/synth/track-synth.ts';
import { analysedCrate } from './analysed-crate.ts';

/**
 * The library the bot tests seed: two 62 s (32-bar) tracks in A minor, at 124 and 125 BPM, synthesized and analysed
 * once per run for every test file that seeds them (made in the system's temp folder, as the audio tests' crates are).
 */
export async function botCrate(): Promise<PlannedTrack[]> {
  return analysedCrate('bot', [
    { bpm: 124, key: 'A', scale: 'minor', seed: 70, sections: structureForBars(32) },
    { bpm: 125, key: 'A', scale: 'minor', seed: 71, sections: structureForBars(32) },
  ]);
}

/**
 * Seeds crate track `i` into a test's library as `file` (a copy under the test's own name): hashed, kept and stored
 * by ingestFile as any ingested file is, with the crate's analysis of those very bytes instead of a second analysis.
 */
export async function ingestBotTrack(
  i: number,
  file: string,
  store: AnalysisStore,
  keep: KeepFile,
): Promise<IngestResult> {
  const track = (await botCrate())[i]!;
  copyFileSync(track.file, file);
  const analyzer: Analyzer = {
    analyze: () => Promise.resolve(track.analysis),
    waiting: () => 0,
    close: () => Promise.resolve(),
  };
  return ingestFile(file, analyzer, store, keep);
}

/**
 * Seeds both crate tracks into `guildId`'s library and playlist, as "sunrise-loop" and "tide-line" (124 and 125 BPM,
 * 62 s each) queued by `requesterId`, their files under `dir`: the content hashes, in that order.
 */
export async function seedBotPlaylist(
  h: { dir: string; analyses: AnalysisStore; files: TrackFiles; store: GuildStore },
  guildId: string,
  requesterId: string,
): Promise<string[]> {
  const hashes: string[] = [];
  for (const [i, name] of ['sunrise-loop', 'tide-line'].entries()) {
    hashes.push(
      (
        await ingestBotTrack(i, path.join(h.dir, `${name}.wav`), h.analyses, (f, hash, title) =>
          h.files.keep(f, hash, title),
        )
      ).contentHash,
    );
  }
  await h.store.update(guildId, (s) => ({
    ...s,
    library: hashes,
    playlist: hashes.map((hash, i) => ({
      id: `entry-${i}`,
      hash,
      title: i === 0 ? 'sunrise-loop' : 'tide-line',
      requesterId,
      addedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    })),
  }));
  return hashes;
}

/**
 * Four 16-bar (24 s) songs at 170 BPM in three keys, which smart order plays otherwise than queued: quick to mix
 * through (a song's 8 bars between its entry and its exit last 11 s), and one tempo needs no ramp back after a blend
 * (at 124–128 BPM each song took 15 s, and each blend was followed by a 15 s ramp). Made once per run (cached like
 * every crate).
 */
export async function shortSongs(): Promise<PlannedTrack[]> {
  return analysedCrate('panel', [
    { bpm: 170, key: 'A', scale: 'minor', seed: 81, sections: structureForBars(16) },
    { bpm: 170, key: 'F#', scale: 'minor', seed: 82, sections: structureForBars(16) },
    { bpm: 170, key: 'A', scale: 'minor', seed: 83, sections: structureForBars(16) },
    { bpm: 170, key: 'E', scale: 'minor', seed: 84, sections: structureForBars(16) },
  ]);
}

/** Seeds `tracks` into a library under the given file names (as ingestBotTrack does); their content hashes. */
export async function ingestAs(
  tracks: PlannedTrack[],
  files: string[],
  store: AnalysisStore,
  keep: KeepFile,
): Promise<string[]> {
  const hashes: string[] = [];
  for (const [i, track] of tracks.entries()) {
    copyFileSync(track.file, files[i]!);
    const analyzer: Analyzer = {
      analyze: () => Promise.resolve(track.analysis),
      waiting: () => 0,
      close: () => Promise.resolve(),
    };
    hashes.push((await ingestFile(files[i]!, analyzer, store, keep)).contentHash);
  }
  return hashes;
}
