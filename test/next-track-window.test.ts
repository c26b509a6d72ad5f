import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import { orderSet } from '../src/ai/set-order.ts';
import { syntheticCrate } from '../src/ai/synthetic-crate.ts';
import { liveTrackOf, MAX_PASSED_OVER, pickNextTrack, SMART_WINDOW } from '../src/bot/playlist/next-track.ts';
import type { LiveTrack } from '../src/bot/playlist/next-track.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { GuildState, PlaylistEntry } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { analysisFromDescriptor } from './helpers/analysis-from-descriptor.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const GUILD = '910000000000000001';
const PLAYLIST = 100;

let tmp: ReturnType<typeof makeTempDir>;
let analyses: AnalysisStore;
let store: GuildStore;
let files: TrackFiles;
let scorer: MixScorer;
let hashes: string[];
let current: LiveTrack;
/** What the pick asked for: pairs scored, analyses loaded. */
const asked = { pairs: 0, analyses: 0 };

beforeAll(async () => {
  tmp = makeTempDir();
  const db = path.join(tmp.dir, 'minidj.sqlite');
  analyses = await AnalysisStore.open(db);
  store = await GuildStore.open(db);
  files = new TrackFiles(path.join(tmp.dir, 'tracks'));
  hashes = [];
  for (const [i, d] of syntheticCrate(PLAYLIST + 1, 5).entries()) {
    const hash = createHash('sha256').update(`window-${i}`).digest('hex');
    await analyses.put({ hash, sourceName: `t${i}.mp3`, bytes: 1, analysis: analysisFromDescriptor(d) });
    writeFileSync(path.join(tmp.dir, 'audio.tmp'), '');
    await files.keep(path.join(tmp.dir, 'audio.tmp'), hash, `t${i}.mp3`);
    hashes.push(hash);
  }
  current = (await liveTrackOf((await analyses.get(hashes.at(-1)!))!, files))!;
  // 100 songs from 10 members, a minute apart.
  const playlist: PlaylistEntry[] = hashes.slice(0, PLAYLIST).map((hash, i) => ({
    id: `e${i}`,
    hash,
    title: `t${i}`,
    requesterId: `member${i % 10}`,
    addedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
  }));
  await store.update(GUILD, (s) => ({ ...s, library: hashes, playlist }));
  scorer = await MixScorer.load();
  const score = scorer.scoreFeatures.bind(scorer);
  scorer.scoreFeatures = (x, n) => ((asked.pairs += n), score(x, n));
  const getMany = analyses.getMany.bind(analyses);
  analyses.getMany = (list) => ((asked.analyses += list.length), getMany(list));
}, 60_000);

afterAll(async () => {
  await scorer?.close();
  await store?.close();
  await analyses?.close();
  tmp?.cleanup();
});

async function pick(state: GuildState) {
  asked.pairs = 0;
  asked.analyses = 0;
  return pickNextTrack(state, current, 'smart', { analyses, files, scorer: () => Promise.resolve(scorer) });
}

describe("the smart pick's work is bounded, whatever the playlist's length", () => {
  it(`scores the pairs of the first ${SMART_WINDOW} waiting tracks and the one playing, not every pair of the playlist`, async () => {
    const state = await store.get(GUILD);
    const { track, unplayable } = await pick(state);
    expect(unplayable).toEqual([]);
    // The delay rule: only the first MAX_PASSED_OVER + 1 in queue order may play next.
    expect(state.playlist.findIndex((e) => e.id === track!.entry!.id)).toBeLessThanOrEqual(MAX_PASSED_OVER);
    expect(asked.pairs).toBe((SMART_WINDOW + 1) ** 2);
    expect(asked.analyses).toBe(SMART_WINDOW);
  });

  it('still plays an entry passed over too often from deep in the playlist, and reports the broken entries it looked at', async () => {
    const state = await store.get(GUILD);
    // Queued before every other song (a moderator moved it down with /queue move), and eight songs queued after it,
    // but before the others, have played since.
    const deep = { ...state.playlist[80]!, addedAt: '2025-12-31T23:00:00.000Z' };
    const playlist = state.playlist.map((e, i) => (i === 80 ? deep : e));
    const history = Array.from({ length: MAX_PASSED_OVER }, (_, i) => ({
      hash: hashes[i]!,
      playedAt: '2026-01-01T03:00:00.000Z',
      addedAt: `2025-12-31T23:0${i + 1}:00.000Z`,
    }));
    rmSync(files.pathFor(hashes[1]!, 't1.mp3'));
    try {
      const overdue = await pick({ ...state, playlist, history });
      expect(overdue.track!.entry!.id).toBe(deep.id);
      expect(asked.analyses).toBeLessThanOrEqual(SMART_WINDOW);
      const { track, unplayable } = await pick(state);
      expect(unplayable.map((e) => e.id)).toEqual(['e1']);
      expect(track!.entry!.id).not.toBe('e1');
      expect(asked.pairs).toBe((SMART_WINDOW + 1) ** 2);
    } finally {
      await files.keep(path.join(tmp.dir, 'audio.tmp'), hashes[1]!, 't1.mp3');
    }
  });
});

describe('a window of a longer waiting list, ordered as its first slots', () => {
  it('draws the energy arc over the whole list: its first slots stay in the warm-up', () => {
    // Equal mixability everywhere and the arc alone deciding: a set of 4 climbs to its peak by the second slot; the
    // first 4 of 1,000 are all near the start of the warm-up, so the quietest go first.
    const items = [0.9, 0.8, 0.2, 0.1].map((intensity, i) => ({
      id: `t${i}`,
      requester: `m${i}`,
      queuedAt: i,
      intensity,
    }));
    const alone = orderSet(items, () => 0.5, { mode: 'smart', arcWeight: 1 });
    const window = orderSet(items, () => 0.5, { mode: 'smart', arcWeight: 1, setLength: 1000 });
    expect(window.order).toEqual(['t3', 't2', 't1', 't0']);
    expect(alone.order).not.toEqual(window.order);
    expect(() => orderSet(items, () => 0.5, { mode: 'smart', setLength: 3 })).toThrow(RangeError);
  });
});
