import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyzerBusyError, AnalyzerPool, MAX_WAITING } from '../src/audio/analysis/analyzer-pool.ts';
import { AudioInputError } from '../src/audio/io/audio-input-error.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { hashFile } from '../src/db/content-hash.ts';
import { AnalysisQueue } from '../src/ingest/analysis-queue.ts';
import { errorOf, errorResult } from '../src/ingest/analysis-queue-protocol.ts';
import { ingestFile } from '../src/ingest/ingest-file.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { startWorkerProcess } from './helpers/analysis-workers.ts';
import type { WorkerProcess } from './helpers/analysis-workers.ts';
import { hasRedis, startRedis } from './helpers/db-servers.ts';
import type { Server } from './helpers/db-servers.ts';
import { makeLongMp3, makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { until } from './helpers/until.ts';

if (!hasRedis) console.log('analysis-queue.test.ts skipped: no redis-server on this machine');

/** A short lock, so a killed worker's job is given back within seconds (the default is 30 s). */
const LOCK_MS = 2000;

describe.skipIf(!hasRedis)('analysis jobs on the Redis queue (MINIDJ_REDIS), analysed by worker processes', () => {
  let redis: Server;
  let tmp: ReturnType<typeof makeTempDir>;
  let tracksDir: string;
  let queue: AnalysisQueue;
  let store: AnalysisStore;
  const workers: WorkerProcess[] = [];
  const startWorker = async (): Promise<WorkerProcess> => {
    const w = await startWorkerProcess({
      MINIDJ_REDIS: redis.url,
      MINIDJ_TRACKS_DIR: tracksDir,
      MINIDJ_ANALYSIS_JOBS: '1',
      MINIDJ_QUEUE_LOCK_MS: String(LOCK_MS),
    });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    tmp = makeTempDir();
    tracksDir = path.join(tmp.dir, 'shared-tracks');
    redis = await startRedis();
    [queue, store] = await Promise.all([AnalysisQueue.open(redis.url, { tracksDir }), AnalysisStore.open(redis.url)]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await queue?.close();
    await store?.close();
    await redis?.stop();
    tmp?.cleanup();
  });

  it('analyses a song the bot queued in a separate worker process, and the bot stores its analysis', async () => {
    const worker = await startWorker();
    const song = path.join(tmp.dir, 'night drive.wav');
    await writeSynthTrack(song, { bpm: 126, key: 'A', scale: 'minor', seed: 1, sections: structureForBars(16) });
    const statuses: string[] = [];
    const result = await ingestFile(song, queue, store, undefined, {
      owner: 'g1',
      onStatus: (s) => statuses.push(s.state),
    });
    expect(result.cached).toBe(false);
    expect(result.analysis.bpm).toBeCloseTo(126, 0);
    // 'queued' comes first unless the idle worker took the job before its place was counted.
    expect(statuses.join(' ')).toMatch(/^(queued )?analysing$/);
    expect((await store.get(result.contentHash))?.analysis).toEqual(result.analysis);
    expect(worker.output()).toContain(`analysed ${result.contentHash.slice(0, 12)}`);
    // The song's copy in the shared directory is gone once the job has ended.
    expect(readdirSync(path.join(tracksDir, 'incoming'))).toEqual([]);
  }, 40_000);

  it('gives a broken file and a too-long one the same user-facing errors as the in-process pool, and stores nothing', async () => {
    const bad = path.join(tmp.dir, 'cover.mp3');
    writeFileSync(
      bad,
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(4000, 7)]),
    );
    const long = makeLongMp3(path.join(tmp.dir, 'three hours.mp3'), 3);
    const pool = new AnalyzerPool({ size: 1 });
    const describeError = (e: Error) => ({
      class: e.constructor,
      name: e.name,
      code: (e as { code?: string }).code,
      message: e.message,
    });
    // An image posing as an MP3 has no audio stream; three hours is past MINIDJ_MAX_MINUTES.
    for (const [file, code] of [
      [bad, 'no-audio'],
      [long, 'too-long'],
    ] as const) {
      const local = await pool.analyze(file).then(
        () => undefined,
        (e: Error) => e,
      );
      const queued = await ingestFile(file, queue, store).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(local && describeError(local)).toMatchObject({ class: AudioInputError, code });
      expect(queued && describeError(queued)).toEqual(describeError(local!));
    }
    await pool.close();
    const names: string[] = [];
    for await (const r of store.entries()) names.push(r.sourceName);
    expect(names).not.toContain('cover.mp3');
    expect(names).not.toContain('three hours.mp3');
  }, 40_000);

  it('carries every user-facing error of the pool back whole (timeouts, crashes, busy)', () => {
    const errors = [
      new AudioInputError('decoder-timeout', 'Decoding took longer than 120 s and was stopped.'),
      new AudioInputError('analysis-failed', 'Analysis took longer than 420 s and was stopped.'),
      new AudioInputError('decoder-crashed', 'The decoder crashed on this file.'),
      new AnalyzerBusyError("The analyser is busy with other servers' songs; try again in a few minutes."),
    ];
    for (const e of errors) {
      const back = errorOf(errorResult(e) as Extract<ReturnType<typeof errorResult>, { ok: false }>);
      expect(back).toBeInstanceOf(e.constructor);
      expect([back.name, (back as AudioInputError).code, back.message]).toEqual([e.name, e.code, e.message]);
    }
  });

  it('finishes a job whose worker was killed mid-analysis once another worker runs (the stalled job is given back)', async () => {
    const first = workers.find((w) => w.child.exitCode === null) ?? (await startWorker());
    const song = path.join(tmp.dir, 'warehouse sunrise.wav');
    await writeSynthTrack(song, { bpm: 128, key: 'E', scale: 'minor', seed: 2, sections: structureForBars(16) });
    const hash = await hashFile(song);
    let taken!: () => void;
    const analysing = new Promise<void>((resolve) => (taken = resolve));
    const analysed = queue.analyze(song, { contentHash: hash, onStatus: (s) => s.state === 'analysing' && taken() });
    await Promise.race([analysing, analysed]);
    await first.kill('SIGKILL');
    expect(first.output()).not.toContain(`analysed ${hash.slice(0, 12)}`);
    const second = await startWorker();
    const analysis = await analysed;
    expect(analysis.bpm).toBeCloseTo(128, 0);
    expect(second.output()).toContain(`analysed ${hash.slice(0, 12)}`);
    expect(readdirSync(path.join(tracksDir, 'incoming'))).toEqual([]);
  }, 40_000);
});

describe.skipIf(!hasRedis)('fair places on the Redis queue', () => {
  it("cannot be filled by 17 servers flooding it so that an 18th server's first song is refused", async () => {
    const tmp = makeTempDir();
    const redis = await startRedis();
    // No worker runs: every song stays waiting.
    const queue = await AnalysisQueue.open(redis.url, { tracksDir: path.join(tmp.dir, 'tracks') });
    try {
      const song = path.join(tmp.dir, 'song.mp3');
      writeFileSync(song, Buffer.alloc(2000, 1));
      const told: string[] = [];
      const floods = Array.from({ length: 17 * 4 }, (_, i) =>
        queue.analyze(song, { owner: `flood-${Math.floor(i / 4)}` }).then(
          () => 'analysed',
          (e: Error) => void told.push(e.message),
        ),
      );
      const countWaiting = () => queue['queue'].getJobCountByTypes('waiting', 'prioritized');
      // Every flooding song queued or turned away.
      await until(async () => (await countWaiting()) + told.length === 17 * 4, 'the flood queued');
      const t0 = performance.now();
      let queuedAfterMs: number | undefined;
      const victim = queue
        .analyze(song, { owner: 'victim', onStatus: () => void (queuedAfterMs ??= performance.now() - t0) })
        .catch((e: Error) => e.message);
      await until(() => queuedAfterMs !== undefined, "the victim's song queued", 5000);
      console.log(
        `Redis queue: victim's first song queued in ${queuedAfterMs!.toFixed(1)} ms while 17 servers flood ${MAX_WAITING} places`,
      );
      expect(await countWaiting()).toBeLessThanOrEqual(MAX_WAITING);
      await queue.close();
      expect(await victim).toBe('the analysis queue was closed');
      await Promise.all(floods);
      // What did not get in was refused or let go, saying it was over the server's share.
      expect(told.filter((m) => m !== 'the analysis queue was closed').every((m) => /share|made room/.test(m))).toBe(
        true,
      );
      expect(told.some((m) => m.includes('made room for another server'))).toBe(true);
    } finally {
      await queue.close();
      await redis.stop();
      tmp.cleanup();
    }
  }, 30_000);
});
