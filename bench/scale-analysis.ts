/**
 * bench:scale's analysis part (BENCH_SCALE_ANALYSIS=1): analysis throughput of the same 8 synthesized 60-s tracks
 * through the Redis queue with 1 and with 2 worker processes (`npm run worker`, each 1 analysis at a time), beside
 * the in-process AnalyzerPool of the same size, in the same run. Tracks per minute, from the first job queued to the
 * last analysis back; the worker processes are started (and ready) before the clock starts, their analyzer threads
 * not (as the pool's).
 */
import os from 'node:os';
import path from 'node:path';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import type { Analyzer } from '../src/audio/analysis/analyzer.ts';
import { AnalysisQueue } from '../src/ingest/analysis-queue.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { startWorkerProcess } from '../test/helpers/analysis-workers.ts';
import type { WorkerProcess } from '../test/helpers/analysis-workers.ts';
import { hasRedis, startRedis } from '../test/helpers/db-servers.ts';
import { makeTempDir } from '../test/helpers/ffmpeg-fixtures.ts';

const TRACKS = Number(process.env.BENCH_SCALE_ANALYSIS_TRACKS ?? 8);
const KEYS = ['A', 'E', 'D', 'G', 'C', 'F', 'B', 'F#'];
const round = (x: number, d = 1) => Number(x.toFixed(d));
const load = () => os.loadavg().map((x) => round(x, 2));

interface Run {
  tracksPerMin: number;
  wallSec: number;
  /** 1-, 5- and 15-minute load averages before and after the run. */
  loadBefore: number[];
  loadAfter: number[];
}

async function synthesize(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < TRACKS; i++) {
    const bpm = 120 + i;
    const file = path.join(dir, `track-${i}.wav`);
    // bpm / 4 bars of 4 beats: 60 s.
    await writeSynthTrack(file, {
      bpm,
      key: KEYS[i % KEYS.length]!,
      scale: i % 2 ? 'major' : 'minor',
      seed: 100 + i,
      sections: structureForBars(Math.round(bpm / 4)),
    });
    files.push(file);
  }
  return files;
}

async function timeAll(analyzer: Analyzer, files: string[], label: string, log: (s: string) => void): Promise<Run> {
  const loadBefore = load();
  const t0 = performance.now();
  const bpms = await Promise.all(files.map((f, i) => analyzer.analyze(f, { owner: `guild-${i}` }).then((a) => a.bpm)));
  const wallSec = (performance.now() - t0) / 1000;
  const run = {
    tracksPerMin: round((files.length / wallSec) * 60, 2),
    wallSec: round(wallSec),
    loadBefore,
    loadAfter: load(),
  };
  log(
    `${label}: ${files.length} tracks in ${run.wallSec} s = ${run.tracksPerMin} tracks/min (BPMs ${bpms.map((b) => Math.round(b)).join(' ')}; load ${run.loadBefore.join(' ')} → ${run.loadAfter.join(' ')})`,
  );
  return run;
}

async function queueRun(
  url: string,
  tracksDir: string,
  workers: number,
  files: string[],
  log: (s: string) => void,
): Promise<Run> {
  const started: WorkerProcess[] = [];
  const queue = await AnalysisQueue.open(url, { tracksDir });
  try {
    for (let i = 0; i < workers; i++)
      started.push(
        await startWorkerProcess({ MINIDJ_REDIS: url, MINIDJ_TRACKS_DIR: tracksDir, MINIDJ_ANALYSIS_JOBS: '1' }),
      );
    return await timeAll(queue, files, `Redis queue, ${workers} worker process${workers === 1 ? '' : 'es'} × 1`, log);
  } finally {
    await Promise.all(started.map((w) => w.kill('SIGTERM')));
    await queue.close();
  }
}

async function poolRun(size: number, files: string[], log: (s: string) => void): Promise<Run> {
  const pool = new AnalyzerPool({ size });
  try {
    return await timeAll(pool, files, `in-process pool, ${size} thread${size === 1 ? '' : 's'}`, log);
  } finally {
    await pool.close();
  }
}

export async function runAnalysisQueueBench(): Promise<Record<string, unknown> | undefined> {
  const log = (s: string) => process.stdout.write(`[analysis] ${s}\n`);
  if (!hasRedis) {
    log('skipped: no redis-server on this machine');
    return undefined;
  }
  const tmp = makeTempDir();
  const redis = await startRedis();
  try {
    const files = await synthesize(tmp.dir);
    log(`${TRACKS} synthesized 60-s tracks; ${os.cpus().length} cores, load ${load().join(' ')}`);
    const tracksDir = path.join(tmp.dir, 'shared-tracks');
    const pool1 = await poolRun(1, files, log);
    const queue1 = await queueRun(redis.url, tracksDir, 1, files, log);
    const pool2 = await poolRun(2, files, log);
    const queue2 = await queueRun(redis.url, tracksDir, 2, files, log);
    return {
      tracks: TRACKS,
      trackSec: 60,
      cores: os.cpus().length,
      inProcess: { '1': pool1, '2': pool2 },
      redisQueue: { '1': queue1, '2': queue2 },
    };
  } finally {
    await redis.stop();
    tmp.cleanup();
  }
}
