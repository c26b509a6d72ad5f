/**
 * bench:quota — the library disk quota at scale: what an add's room costs and what a /metrics refresh costs, with
 * 1,000 guilds (20 songs waiting in each playlist, a live session each) and 100,000 library tracks (100 a guild, their
 * audio as sparse files of 3–6 MB), on SQLite. The baseline is the code before (every decision listed every file,
 * looked up every track's libraries and read every guild's state; /metrics did the same every 30 s), measured in the
 * same run on the same store. Timed: the quota's calls alone (an add's check and makeRoom; the bot's keeping of the
 * audio after them is not). Also the longest the event loop waited (perf_hooks, 1 ms resolution) during each — the
 * live sets' audio is paced by a 20 ms timer on that loop — and the longest the main thread ran between two turns of a
 * 1 ms timer by its own CPU time (process.threadCpuUsage), which the machine's other load does not lengthen.
 *
 * BENCH_QUOTA_GUILDS (1000), BENCH_QUOTA_PER_GUILD (100), BENCH_QUOTA_PLAYLIST (20), BENCH_QUOTA_RUNS (3: the
 * baseline's repetitions; the new code runs 5 times as many) change the run. Writes out/bench-quota.json.
 */
import { closeSync, mkdirSync, openSync, utimesSync, writeFileSync, ftruncateSync } from 'node:fs';
import { open, readdir, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LibraryQuota } from '../src/library/library-quota.ts';
import type { IncomingTrack } from '../src/library/library-quota.ts';
import { planRoom, usageOf } from '../src/library/quota-plan.ts';
import type { QuotaLimits } from '../src/library/quota-plan.ts';
import type { KeptTrack } from '../src/library/quota-tracks.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { PlaylistEntry } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { createRng } from '../src/util/prng.ts';
import { syntheticCrate } from '../src/ai/synthetic-crate.ts';
import { analysisFromDescriptor } from '../test/helpers/analysis-from-descriptor.ts';
import { makeTempDir } from '../test/helpers/ffmpeg-fixtures.ts';

const GUILDS = Number(process.env.BENCH_QUOTA_GUILDS ?? 1000);
const PER_GUILD = Number(process.env.BENCH_QUOTA_PER_GUILD ?? 100);
const PLAYLIST = Number(process.env.BENCH_QUOTA_PLAYLIST ?? 20);
const RUNS = Number(process.env.BENCH_QUOTA_RUNS ?? 3);
const MB = 1e6;
/** Room for everything kept (the defaults, 20 GB, are for a smaller bot): a guild keeps 450 MB of its 2 GB. */
const LIMITS: QuotaLimits = { totalBytes: 1000e9, serverBytes: 2e9, sharedBytes: 5e9 };
/** One guild at its share: 444 tracks of 4.5 MB (1.998 of its 2 GB). */
const FULL_GUILD = '900000000000000000';
const guildId = (i: number) => String(700000000000000000n + BigInt(i));
const hashOf = (g: number, i: number) =>
  `${g.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`.padStart(64, 'a');

const rng = createRng(2025, 'bench-quota');
const log = (line: string) => process.stdout.write(`${line}\n`);
const round = (x: number, d = 1) => Number(x.toFixed(d));
function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

interface World {
  files: TrackFiles;
  analyses: AnalysisStore;
  store: GuildStore;
}

/** A track's audio: a sparse file of `bytes` (no disk used), last played `agoSec` ago. */
function keepSparse(files: TrackFiles, hash: string, bytes: number, agoSec: number): void {
  const file = path.join(files.dir, `${hash}.mp3`);
  const fd = openSync(file, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  const when = new Date(Date.now() - agoSec * 1000);
  utimesSync(file, when, when);
}

/** keepSparse without blocking the event loop, for what is timed. */
async function keepSparseAsync(files: TrackFiles, hash: string, bytes: number): Promise<void> {
  const file = path.join(files.dir, `${hash}.mp3`);
  const handle = await open(file, 'w');
  await handle.truncate(bytes);
  await handle.close();
  await utimes(file, new Date(), new Date());
}

const row = (hash: string) => ({ hash, title: `Track ${hash.slice(-8)}`, bpm: 120, camelot: '8A', keyStrength: 0.5 });

async function seed(world: World): Promise<void> {
  const { files, analyses, store } = world;
  mkdirSync(files.dir, { recursive: true });
  const at = new Date().toISOString();
  for (let g = 0; g < GUILDS; g++) {
    const hashes = Array.from({ length: PER_GUILD }, (_, i) => hashOf(g, i));
    for (const h of hashes) keepSparse(files, h, rng.int(3 * MB, 6 * MB), rng.int(60, 30 * 86_400));
    await analyses.library.add(guildId(g), hashes.map(row));
    const playlist = hashes
      .slice(0, PLAYLIST)
      .map((hash, i): PlaylistEntry => ({ id: `e${i}`, hash, title: `Track ${i}`, requesterId: 'm', addedAt: at }));
    await store.update(guildId(g), (s) => ({
      ...s,
      playlist,
      session: {
        voiceChannelId: 'v',
        textChannelId: 't',
        order: 'smart',
        startedAt: at,
        current: { hash: hashes[PLAYLIST]!, title: 'now', positionSec: 30, savedAt: at },
        nextHash: hashes[PLAYLIST + 1]!,
      },
    }));
  }
  const full = Array.from({ length: 444 }, (_, i) => hashOf(GUILDS, i));
  for (const h of full) keepSparse(files, h, 4.5 * MB, rng.int(60, 30 * 86_400));
  await analyses.library.add(FULL_GUILD, full.map(row));
}

/** The code before: every file listed (one stat after another), every track's libraries, every guild's state. */
async function keptBefore({ files, analyses, store }: World): Promise<KeptTrack[]> {
  const names = await readdir(files.dir).catch(() => [] as string[]);
  const found = [];
  for (const name of names) {
    const k = await files.keptFile(name);
    if (k) found.push(k);
  }
  const owners = await analyses.library.libraryOwners(found.map((f) => f.hash));
  const holds = await store.trackHolds();
  return found.map((f) => ({ ...f, libraries: owners.get(f.hash) ?? [], heldBy: [...(holds.get(f.hash) ?? [])] }));
}

interface Run {
  ms: number;
  /** The longest the event loop waited (a timer every 1 ms, late by this much at most). */
  loopMaxMs: number;
  /** The longest the main thread ran between two turns of a 1 ms timer, by its own CPU time (not the machine's load). */
  stepMaxMs: number;
}

/** Runs `fn`, timing it, the longest the event loop waited meanwhile and the longest the main thread ran at once. */
async function measured(fn: () => Promise<unknown>): Promise<Run> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let cpu = process.threadCpuUsage();
  let stepMaxMs = 0;
  const step = () => {
    const used = process.threadCpuUsage(cpu);
    stepMaxMs = Math.max(stepMaxMs, (used.user + used.system) / 1000);
    cpu = process.threadCpuUsage();
  };
  const ticker = setInterval(step, 1);
  delay.enable();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  delay.disable();
  clearInterval(ticker);
  step();
  return { ms, loopMaxMs: delay.max / 1e6, stepMaxMs };
}

interface Figures {
  medianMs: number;
  p95Ms: number;
  loopMaxMs: number;
  stepMaxMs: number;
}
/** `fn` `times` times, each followed by `then` (untimed: what the bot does beside the quota). */
async function repeat(
  times: number,
  fn: (i: number) => Promise<unknown>,
  then?: (i: number) => Promise<unknown>,
): Promise<Figures> {
  const runs: Run[] = [];
  for (let i = 0; i < times; i++) {
    runs.push(await measured(() => fn(i)));
    await then?.(i);
  }
  const ms = runs.map((r) => r.ms);
  return {
    medianMs: round(quantile(ms, 0.5)),
    p95Ms: round(quantile(ms, 0.95)),
    loopMaxMs: round(Math.max(...runs.map((r) => r.loopMaxMs))),
    stepMaxMs: round(Math.max(...runs.map((r) => r.stepMaxMs))),
  };
}
const show = (f: Figures) =>
  `median ${f.medianMs} ms, p95 ${f.p95Ms} ms, event loop waited at most ${f.loopMaxMs} ms (longest main-thread step ${f.stepMaxMs} ms)`;

const analysis = analysisFromDescriptor(syntheticCrate(1, 5)[0]!);

/** An add's quota as the bot runs it: room checked before analysis, made before the audio is kept. */
async function quotaOfAdd(quota: LibraryQuota, incoming: IncomingTrack): Promise<void> {
  await quota.check(incoming);
  await quota.makeRoom(incoming);
}

/** What the bot does next (untimed): the audio kept, its analysis stored, the track put in the library. */
async function keepAdded(world: World, incoming: IncomingTrack): Promise<void> {
  await keepSparseAsync(world.files, incoming.hash, incoming.bytes);
  await world.analyses.put({ hash: incoming.hash, sourceName: 'song.mp3', bytes: incoming.bytes, analysis });
  await world.analyses.library.add(incoming.library, [row(incoming.hash)]);
}

/** The same decisions by the code before (its carrying out, the same few deletes, left out). */
async function addBefore(world: World, incoming: IncomingTrack): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const plan = planRoom(await keptBefore(world), incoming.library, incoming, LIMITS);
    if (!plan.ok) throw new Error('refused');
  }
}

async function run(dir: string): Promise<Record<string, unknown>> {
  const db = path.join(dir, 'minidj.sqlite');
  const world: World = {
    files: new TrackFiles(path.join(dir, 'tracks')),
    analyses: await AnalysisStore.open(db),
    store: await GuildStore.open(db),
  };
  const t = performance.now();
  await seed(world);
  log(
    `seeded ${GUILDS} guilds × ${PLAYLIST} waiting songs, ${(GUILDS * PER_GUILD + 444).toLocaleString('en')} library tracks in ${round((performance.now() - t) / 1000)} s`,
  );
  const quota = new LibraryQuota({ ...world, limits: LIMITS });
  const first = await measured(() => quota.recount());
  log(
    `first recount (the noted audio written once, ${(GUILDS * PER_GUILD).toLocaleString('en')} tracks): ${round(first.ms)} ms, event loop waited at most ${round(first.loopMaxMs)} ms (longest main-thread step ${round(first.stepMaxMs)} ms)`,
  );
  const idle = await measured(() => sleep(1000));
  log(
    `event loop, idle for 1 s on this machine: waited at most ${round(idle.loopMaxMs)} ms (longest main-thread step ${round(idle.stepMaxMs)} ms)`,
  );

  const g = (i: number) => guildId((i * 37) % GUILDS);
  // Each part of the new code starts after a recount (untimed), as the one the quota runs every 5 minutes is timed apart.
  await quota.recount();
  const fits = (i: number): IncomingTrack => ({ hash: hashOf(GUILDS + 1, i), bytes: 5 * MB, library: g(i) });
  const fitsAfter = await repeat(
    RUNS * 5,
    (i) => quotaOfAdd(quota, fits(i)),
    (i) => keepAdded(world, fits(i)),
  );
  const fitsBefore = await repeat(RUNS, (i) =>
    addBefore(world, { hash: hashOf(GUILDS + 2, i), bytes: 5 * MB, library: g(i) }),
  );
  log(
    `an add that fits (check + makeRoom): after ${show(fitsAfter)}; before ${show(fitsBefore)} (${round(fitsBefore.medianMs / fitsAfter.medianMs, 0)}× the time)`,
  );

  await quota.recount();
  const evicts = (i: number): IncomingTrack => ({ hash: hashOf(GUILDS + 3, i), bytes: 4.5 * MB, library: FULL_GUILD });
  const evictAfter = await repeat(
    RUNS * 5,
    (i) => quotaOfAdd(quota, evicts(i)),
    (i) => keepAdded(world, evicts(i)),
  );
  const evictBefore = await repeat(RUNS, (i) =>
    addBefore(world, { hash: hashOf(GUILDS + 4, i), bytes: 4.5 * MB, library: FULL_GUILD }),
  );
  log(
    `an add to a guild at its share (one of its tracks goes): after ${show(evictAfter)}; before ${show(evictBefore)} (${round(evictBefore.medianMs / evictAfter.medianMs, 0)}× the time)`,
  );

  await quota.recount();
  const metricsAfter = await repeat(RUNS * 5, () => quota.usage());
  const metricsBefore = await repeat(RUNS, async () => usageOf(await keptBefore(world)));
  log(
    `a /metrics refresh: after ${show(metricsAfter)}; before ${show(metricsBefore)} (${round(metricsBefore.medianMs / metricsAfter.medianMs, 0)}× the time)`,
  );
  const recount = await repeat(RUNS, () => quota.recount());
  log(`a recount (every 5 minutes, in the background): ${show(recount)}`);

  // The disk full: every add is planned on every kept track, read in batches.
  const full = new LibraryQuota({
    ...world,
    limits: { ...LIMITS, totalBytes: (await world.analyses.library.audioBytes()) + 2 * MB },
  });
  await full.recount();
  const diskFull = (i: number): IncomingTrack => ({ hash: hashOf(GUILDS + 5, i), bytes: 4 * MB, library: g(i + 500) });
  const diskFullAfter = await repeat(
    RUNS,
    (i) => quotaOfAdd(full, diskFull(i)),
    (i) => keepAdded(world, diskFull(i)),
  );
  log(
    `an add with the disk full (a track of the guild furthest over its even part goes): after ${show(diskFullAfter)}`,
  );
  await world.analyses.close();
  await world.store.close();
  return {
    fitsAfter,
    fitsBefore,
    evictAfter,
    evictBefore,
    metricsAfter,
    metricsBefore,
    recount,
    diskFullAfter,
    firstRecount: { ms: round(first.ms), loopMaxMs: round(first.loopMaxMs), stepMaxMs: round(first.stepMaxMs) },
    idle: { loopMaxMs: round(idle.loopMaxMs), stepMaxMs: round(idle.stepMaxMs) },
  };
}

log(
  `bench:quota — ${GUILDS} guilds × ${PER_GUILD} library tracks, ${PLAYLIST} waiting in each playlist; ${os.cpus().length} cores, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const tmp = makeTempDir('minidj-bench-quota-');
try {
  const sqlite = await run(tmp.dir);
  mkdirSync(path.join(PROJECT_ROOT, 'out'), { recursive: true });
  writeFileSync(
    path.join(PROJECT_ROOT, 'out', 'bench-quota.json'),
    `${JSON.stringify({ sqlite, load: os.loadavg().map((x) => round(x, 2)) }, null, 2)}\n`,
  );
  log('wrote out/bench-quota.json');
} finally {
  tmp.cleanup();
}
