import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { ANALYZER_VERSION } from '../src/audio/analysis/analyzer-version.ts';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { AudioInputError } from '../src/audio/io/audio-input-error.ts';
import { ingestFile } from '../src/ingest/ingest-file.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { hashFile } from '../src/db/content-hash.ts';
import { storeTarget } from '../src/db/open-keyv.ts';
import { ffmpegMake, makeTempDir, makeTone } from './helpers/ffmpeg-fixtures.ts';

let tmp: ReturnType<typeof makeTempDir>;
let pool: AnalyzerPool;
beforeAll(() => {
  tmp = makeTempDir();
  pool = new AnalyzerPool();
});
afterAll(async () => {
  await pool.close();
  tmp.cleanup();
});

/** A pulsing 120 BPM tone: enough rhythm and pitch for a complete analysis in a fraction of a second. */
function makePulse(file: string, seconds: number): string {
  return ffmpegMake(file, [
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='0.5*sin(2*PI*110*t)*exp(-8*mod(t,0.5))+0.2*sin(2*PI*440*t)':s=44100:d=${seconds}`,
  ]);
}

async function allHashes(store: AnalysisStore): Promise<string[]> {
  const out: string[] = [];
  for await (const r of store.entries()) out.push(r.hash);
  return out.sort();
}

function fakeAnalysis(version = ANALYZER_VERSION): TrackAnalysis {
  return {
    analyzerVersion: version,
    durationSec: 1,
    bpm: 120,
    bpmConfidence: 1,
    beatJitterMs: 1,
    beats: [],
    beatPositions: [],
    downbeats: [],
    beatsPerBar: 4,
    key: 'A',
    scale: 'minor',
    camelot: '8A',
    keyStrength: 1,
    loudnessLufs: -10,
    loudnessRangeLu: 1,
    truePeakDb: -1,
    energy: [],
    brightnessHz: 1000,
    timbre: { mfccMean: [], mfccVar: [] },
    danceability: 1,
    phraseBars: 8,
    phrases: [],
    segments: [],
    cues: { mixIn: 0, mixOut: 0 },
  };
}

describe('store location', () => {
  it('defaults to the embedded SQLite file and understands URLs', () => {
    expect(storeTarget(undefined, '/srv/cwd', '/srv/dj')).toEqual({
      kind: 'sqlite',
      uri: 'sqlite:///srv/dj/data/minidj.sqlite',
    });
    expect(storeTarget('redis://cache:6379', '/srv')).toEqual({ kind: 'redis', uri: 'redis://cache:6379' });
    expect(storeTarget('postgres://u:p@db/minidj', '/srv').kind).toBe('postgres');
    expect(storeTarget('other.sqlite', '/srv')).toEqual({ kind: 'sqlite', uri: 'sqlite:///srv/other.sqlite' });
    expect(() => storeTarget('mysql://db')).toThrow('MINIDJ_DB "mysql://db" is not supported');
  });
});

describe('analysis store on a real SQLite file', () => {
  it('keeps records across reopen and ignores other analyzer versions', async () => {
    const db = path.join(tmp.dir, 'a.sqlite');
    const store = await AnalysisStore.open(db);
    await store.put({ hash: 'h1', sourceName: 'one.mp3', bytes: 10, analysis: fakeAnalysis() });
    await expect(
      store.put({ hash: 'h2', sourceName: 'two.mp3', bytes: 10, analysis: fakeAnalysis('ears-0.1') }),
    ).rejects.toThrow('another analyzer version');
    await store.close();
    const again = await AnalysisStore.open(db);
    expect((await again.get('h1'))?.sourceName).toBe('one.mp3');
    expect(await again.get('h2')).toBeUndefined();
    expect(await allHashes(again)).toEqual(['h1']);
    await again.close();
  });
});

describe('ingest', () => {
  it('analyses once, then answers from the store by content hash (whatever the file is called)', async () => {
    const store = await AnalysisStore.open(path.join(tmp.dir, 'ingest.sqlite'));
    const file = makePulse(path.join(tmp.dir, 'pulse.wav'), 12);
    const first = await ingestFile(file, pool, store);
    expect(first.cached).toBe(false);
    expect(first.analysis.bpm).toBeGreaterThan(115);
    expect(first.analysis.bpm).toBeLessThan(125);
    const copy = path.join(tmp.dir, 'renamed copy.wav');
    writeFileSync(copy, (await import('node:fs')).readFileSync(file));
    const second = await ingestFile(copy, pool, store);
    expect(second.cached).toBe(true);
    expect(second.contentHash).toBe(first.contentHash);
    expect(second.analysis).toEqual(first.analysis);
    await store.close();
  });

  it('a track stored before the media rules is vetted when added again: its tags and the rules version added, its analysis kept', async () => {
    const store = await AnalysisStore.open(path.join(tmp.dir, 'revet.sqlite'));
    const file = ffmpegMake(path.join(tmp.dir, 'tagged.m4a'), [
      '-f',
      'lavfi',
      '-i',
      'sine=d=2',
      '-c:a',
      'aac',
      '-metadata',
      'title=Old Record',
      '-metadata',
      'artist=Someone',
    ]);
    const hash = await hashFile(file);
    const old = await store.put({
      hash,
      sourceName: 'tagged.m4a',
      bytes: statSync(file).size,
      analysis: fakeAnalysis(),
    });
    expect(old.mediaRulesVersion).toBeUndefined();
    const analyzer = {
      analyze: () => Promise.reject(new Error('must not be analysed again')),
      waiting: () => 0,
      close: () => Promise.resolve(),
    };
    const result = await ingestFile(file, analyzer, store);
    expect(result).toMatchObject({ cached: true, tags: { title: 'Old Record', artist: 'Someone' } });
    expect(await store.get(hash)).toEqual({
      ...old,
      tags: { title: 'Old Record', artist: 'Someone' },
      mediaRulesVersion: 1,
    });
    // Vetted now: the next add answers from the record alone.
    expect((await ingestFile(file, analyzer, store)).tags).toEqual({ title: 'Old Record', artist: 'Someone' });
    await store.close();
  });

  it('bad input leaves the store exactly as it was', async () => {
    const dbFile = path.join(tmp.dir, 'unchanged.sqlite');
    const store = await AnalysisStore.open(dbFile);
    await store.put({ hash: 'keep', sourceName: 'keep.mp3', bytes: 1, analysis: fakeAnalysis() });
    const before = await allHashes(store);
    const garbage = path.join(tmp.dir, 'garbage.mp3');
    writeFileSync(garbage, Buffer.alloc(20_000, 7));
    const silent = ffmpegMake(path.join(tmp.dir, 'silent.wav'), ['-f', 'lavfi', '-i', 'anullsrc=r=44100', '-t', '5']);
    const tooBig = makeTone(path.join(tmp.dir, 'big.wav'), 3);
    const smallPool = new AnalyzerPool({
      limits: { maxBytes: 100_000, maxDurationSec: 1200, minDurationSec: 1, decodeTimeoutMs: 60_000 },
    });
    const cases: [string, AnalyzerPool, string][] = [
      [garbage, pool, 'corrupt'],
      [silent, pool, 'silent'],
      [tooBig, smallPool, 'too-large'],
      [path.join(tmp.dir, 'nope.flac'), pool, 'not-found'],
    ];
    for (const [file, p, code] of cases) {
      const err = await ingestFile(file, p, store).catch((e: unknown) => e);
      expect(err, file).toBeInstanceOf(AudioInputError);
      expect((err as AudioInputError).code).toBe(code);
    }
    await smallPool.close();
    expect(await allHashes(store)).toEqual(before);
    await store.close();
  });

  it('a process killed mid-ingest leaves no half record and a healthy database', async () => {
    const dbFile = path.join(tmp.dir, 'killed.sqlite');
    const store = await AnalysisStore.open(dbFile);
    await store.put({ hash: 'survivor', sourceName: 's.mp3', bytes: 1, analysis: fakeAnalysis() });
    await store.close();
    const long = makePulse(path.join(tmp.dir, 'long.wav'), 240);
    const script = path.join(tmp.dir, 'ingest-child.ts');
    writeFileSync(
      script,
      `import { AnalyzerPool } from '${path.resolve('src/audio/analysis/analyzer-pool.ts')}';
import { ingestFile } from '${path.resolve('src/ingest/ingest-file.ts')}';
import { AnalysisStore } from '${path.resolve('src/db/analysis-store.ts')}';
const store = await AnalysisStore.open(process.argv[2]);
const pool = new AnalyzerPool();
console.log('started');
await ingestFile(process.argv[3], pool, store);
console.log('finished');
`,
    );
    const child = spawn(process.execPath, [script, dbFile, long], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        // Give it time to be well into decoding/analysis, then pull the plug.
        if (output.includes('started'))
          setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 1500);
      });
    });
    await new Promise((r) => child.on('close', r));
    expect(output).not.toContain('finished');
    const reopened = await AnalysisStore.open(dbFile);
    expect(await allHashes(reopened)).toEqual(['survivor']);
    expect(await reopened.get(await hashFile(long))).toBeUndefined();
    await reopened.close();
    expect(statSync(dbFile).size).toBeGreaterThan(0);
  });
});
