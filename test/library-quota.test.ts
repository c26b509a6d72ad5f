import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { ANALYZER_VERSION } from '../src/audio/analysis/analyzer-version.ts';
import { libraryQuotaBytes, makeRoom } from '../src/bot/library-quota.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

let tmp: ReturnType<typeof makeTempDir>;
let analyses: AnalysisStore;
let files: TrackFiles;
beforeAll(async () => {
  tmp = makeTempDir();
  analyses = await AnalysisStore.open(path.join(tmp.dir, 'quota.sqlite'));
  files = new TrackFiles(path.join(tmp.dir, 'tracks'));
});
afterAll(async () => {
  await analyses.close();
  tmp.cleanup();
});

const analysis = { analyzerVersion: ANALYZER_VERSION } as TrackAnalysis;
const hashOf = (n: number) => n.toString(16).padStart(64, '0');

/** Keeps track n: `bytes` of audio, last played `playedAgoSec` ago, with its analysis stored. */
async function keepTrack(n: number, bytes: number, playedAgoSec: number): Promise<void> {
  const source = path.join(tmp.dir, `source-${n}.mp3`);
  writeFileSync(source, Buffer.alloc(bytes, n));
  const file = await files.keep(source, hashOf(n), 'song.mp3');
  const when = new Date(Date.now() - playedAgoSec * 1000);
  utimesSync(file, when, when);
  await analyses.put({ hash: hashOf(n), sourceName: `song-${n}.mp3`, bytes, analysis });
}

describe('the library disk quota', () => {
  it('reads MINIDJ_MAX_LIBRARY_GB', () => {
    expect(libraryQuotaBytes({})).toBeUndefined();
    expect(libraryQuotaBytes({ MINIDJ_MAX_LIBRARY_GB: '2.5' })).toBe(2.5e9);
    expect(() => libraryQuotaBytes({ MINIDJ_MAX_LIBRARY_GB: 'lots' })).toThrow('MINIDJ_MAX_LIBRARY_GB must be a number');
  });

  it('removes the least recently played tracks no playlist holds, audio and analysis, until the new one fits', async () => {
    await keepTrack(1, 4000, 300); // oldest, but waiting in a playlist
    await keepTrack(2, 3000, 200);
    await keepTrack(3, 3000, 100);
    await keepTrack(4, 3000, 10);
    const evicted: string[] = [];
    const deps = { files, analyses, held: async () => new Set([hashOf(1)]), maxBytes: 15_000, onEvicted: (e: { hash: string }[]) => evicted.push(...e.map((x) => x.hash)) };
    // 13,000 kept: 2,000 fits without removing anything.
    expect(await makeRoom(deps, { hash: hashOf(9), bytes: 2000 })).toBe(0);
    // 5,000 more needs 3,000 freed: the least recently played that is not held goes.
    expect(await makeRoom(deps, { hash: hashOf(9), bytes: 5000 })).toBe(1);
    expect(evicted).toEqual([hashOf(2)]);
    expect((await files.list()).map((k) => k.hash).sort()).toEqual([hashOf(1), hashOf(3), hashOf(4)]);
    expect(await analyses.get(hashOf(2))).toBeUndefined();
    expect(await analyses.get(hashOf(1))).toBeDefined();
    // A track already kept needs no room.
    expect(await makeRoom(deps, { hash: hashOf(3), bytes: 50_000 })).toBe(0);
  });

  it('refuses, removing nothing, when the held tracks alone leave no room', async () => {
    const before = (await files.list()).length;
    const deps = { files, analyses, held: async () => new Set([hashOf(1), hashOf(3), hashOf(4)]), maxBytes: 12_000 };
    await expect(makeRoom(deps, { hash: hashOf(10), bytes: 3000 })).rejects.toThrow("The bot's music library is full (its quota is 12 kB)");
    expect((await files.list()).length).toBe(before);
  });
});
