import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { ANALYZER_VERSION } from '../src/audio/analysis/analyzer-version.ts';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { fetchAndIngest } from '../src/bot/adds/fetch-and-ingest.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { hashFile } from '../src/db/content-hash.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { DownloadSlots, maxDownloadsFromEnv } from '../src/ingest/download-slots.ts';
import { makeTempDir, makeTone } from './helpers/ffmpeg-fixtures.ts';

const HOLD_MS = 150;
let tmp: ReturnType<typeof makeTempDir>;
let analyses: AnalysisStore;
let pool: AnalyzerPool;
let base: string;
let close: () => Promise<void>;
/** Requests in the order they arrived (their path), and the most answered at once. */
const arrivals: string[] = [];
let active = 0;
let mostAtOnce = 0;

beforeAll(async () => {
  tmp = makeTempDir();
  const song = makeTone(path.join(tmp.dir, 'song.wav'), 0.5);
  const bytes = readFileSync(song);
  analyses = await AnalysisStore.open(path.join(tmp.dir, 'store.sqlite'));
  // Its analysis is stored already: each download is then only a download (no analysis runs).
  await analyses.put({
    hash: await hashFile(song),
    sourceName: 'song.wav',
    bytes: bytes.length,
    analysis: { analyzerVersion: ANALYZER_VERSION } as TrackAnalysis,
  });
  pool = new AnalyzerPool({ size: 1 });
  const server = createServer((req, res) => {
    arrivals.push(req.url ?? '');
    mostAtOnce = Math.max(mostAtOnce, ++active);
    setTimeout(() => {
      active--;
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': bytes.length }).end(bytes);
    }, HOLD_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await close();
  await pool.close();
  await analyses.close();
  tmp.cleanup();
});

describe('the downloads in flight in one process', () => {
  it('reads MINIDJ_MAX_DOWNLOADS (16 by default)', () => {
    expect(maxDownloadsFromEnv({})).toBe(16);
    expect(maxDownloadsFromEnv({ MINIDJ_MAX_DOWNLOADS: '4' })).toBe(4);
    expect(() => maxDownloadsFromEnv({ MINIDJ_MAX_DOWNLOADS: '0' })).toThrow(
      'MINIDJ_MAX_DOWNLOADS is "0"; it takes a whole number of downloads, at least 1.',
    );
  });

  it('never run past the cap, and a freed slot goes to the server waiting longest for its turn', async () => {
    const deps = {
      analyses,
      files: new TrackFiles(path.join(tmp.dir, 'tracks')),
      pool,
      maxBytes: 1e6,
      downloadDir: tmp.dir,
      isAllowedAddress: () => true,
      downloads: new DownloadSlots(2),
    };
    const add = (owner: string, n: number) =>
      fetchAndIngest(`${base}/${owner}-${n}.wav`, `${owner} ${n}`, deps, { owner });
    // Server A sends five at once, then server B one.
    const all = [...[1, 2, 3, 4, 5].map((n) => add('a', n)), add('b', 1)];
    const results = await Promise.all(all);
    expect(results.every((r) => r.cached)).toBe(true);
    expect(mostAtOnce).toBe(2);
    // B's first download starts with the first slot freed, not after all of A's.
    // (Requests started in the same turn may reach the server in either order: the pairs are compared, not the order in a pair.)
    const pairs = [arrivals.slice(0, 2), arrivals.slice(2, 4), arrivals.slice(4)].map((pair) => [...pair].sort());
    expect(pairs).toEqual([
      ['/a-1.wav', '/a-2.wav'],
      ['/a-3.wav', '/b-1.wav'],
      ['/a-4.wav', '/a-5.wav'],
    ]);
    expect(deps.downloads.inFlight).toBe(0);
  });
});
