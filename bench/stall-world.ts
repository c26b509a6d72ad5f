// bench:stall's store: a real SQLite store (guild state, analyses, the library index) with synthetic analyses as long
// as released tracks', an empty audio file per track (the pick checks the audio is there), and guilds with long
// playlists queued by many members.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import type { TrackDescriptor } from '../src/ai/track-descriptor.ts';
import { lazyScorer } from '../src/ai/lazy-scorer.ts';
import type { LazyScorer } from '../src/ai/lazy-scorer.ts';
import type { NextTrackDeps } from '../src/bot/playlist/next-track.ts';
import { linkKey } from '../src/bot/playlist/stored-link.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { PlaylistEntry } from '../src/db/guild-store.ts';
import { openSqliteClient } from '../src/db/sql-client.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { createRng } from '../src/util/prng.ts';
import { analysisFromDescriptor } from '../test/helpers/analysis-from-descriptor.ts';
import { makeTempDir } from '../test/helpers/ffmpeg-fixtures.ts';
import { seedAnalyses } from './seed-analyses.ts';
import type { Seeded } from './seed-analyses.ts';

/** About a released dance track's length: the records are as long as real ones (beats, bars, energy per bar). */
const TRACK_SEC = 210;

function releasedLength(d: TrackDescriptor) {
  const bars = Math.round(TRACK_SEC / ((4 * 60) / d.bpm));
  return analysisFromDescriptor(d, Math.max(16, bars - Math.max(d.introBars, 8) - Math.max(d.outroBars, 8)));
}

export interface StallWorld {
  store: GuildStore;
  analyses: AnalysisStore;
  files: TrackFiles;
  scorer: LazyScorer;
  deps: NextTrackDeps;
  tracks: Seeded[];
  close(): Promise<void>;
}

export async function openWorld(trackCount: number): Promise<StallWorld> {
  const tmp = makeTempDir('minidj-bench-stall-');
  const db = path.join(tmp.dir, 'minidj.sqlite');
  const analyses = await AnalysisStore.open(db);
  const sql = await openSqliteClient(db);
  let n = 0;
  const tracks = await seedAnalyses(sql, 'stall', trackCount, 11, {
    title: () => `Stall Track ${++n}`,
    analysisOf: releasedLength,
  });
  await sql.close();
  const files = new TrackFiles(path.join(tmp.dir, 'tracks'));
  mkdirSync(files.dir, { recursive: true });
  for (const t of tracks) writeFileSync(files.pathFor(t.hash, `${t.title}.mp3`), '');
  const store = await GuildStore.open(db);
  const scorer = lazyScorer(() => MixScorer.load());
  await scorer.get();
  return {
    store,
    analyses,
    files,
    scorer,
    tracks,
    deps: { analyses, files, scorer: () => scorer.get() },
    async close() {
      await scorer.close();
      await store.close();
      await analyses.close();
      tmp.cleanup();
    },
  };
}

/** A Discord attachment's link, as long as one is. */
function attachmentLink(i: number): string {
  return `https://cdn.discordapp.com/attachments/1200000000000000000/${1300000000000000000 + i}/stall-track-${i}.mp3?ex=66f0c0c0&is=66ef6f40&hm=${'0123456789abcdef'.repeat(4)}&`;
}

/**
 * `tracks` queued in the guild (shuffled by `seed`) by `members` members, each adding 1–5 songs at a time, a minute
 * apart, with the tracks in the guild's library. Each entry keeps where it came from as the add path keeps it
 * (`kept`; default: an attachment's link, as its digest).
 */
export async function seedGuild(
  world: StallWorld,
  guildId: string,
  tracks: readonly Seeded[],
  members: number,
  seed: number,
  kept: (i: number) => string = (i) => linkKey(attachmentLink(i)),
): Promise<void> {
  const rng = createRng(seed, 'stall-guild');
  const order = [...tracks];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const start = Date.UTC(2026, 0, 1);
  const playlist: PlaylistEntry[] = [];
  while (playlist.length < order.length) {
    const requesterId = String(700000000000000000n + BigInt(rng.int(0, members)));
    for (let k = rng.int(1, 6); k > 0 && playlist.length < order.length; k--) {
      const t = order[playlist.length]!;
      const i = playlist.length;
      playlist.push({
        id: `${guildId}-e${i}`,
        hash: t.hash,
        title: t.title,
        requesterId,
        addedAt: new Date(start + i * 60_000).toISOString(),
        source: kept(i),
      });
    }
  }
  await world.store.update(guildId, (s) => ({ ...s, library: tracks.map((t) => t.hash), playlist }));
}
