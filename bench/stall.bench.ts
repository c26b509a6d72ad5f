/**
 * bench:stall — nothing heavy on the audio thread: the live sets' main-thread work at a track change, measured.
 *
 * 1. The next pick (the state read and pickNextTrack, smart order) on playlists of 100, 1,000 and 10,000 songs:
 *    its time, the longest the event loop was held during it, and the pairs of tracks it scores; the pick before
 *    the smart window (bench/stall-baseline.ts: every pair of the playlist scored) in the same run, at the sizes it
 *    can run at.
 * 2. Pick quality: 20 picks on the 1,000-song playlist (a set progressing through it), the windowed pick against the
 *    whole-playlist one: how many differ and by how much the opening transition's score does.
 * 3. 20 live sets with 1,000-song smart playlists in one process, each making 10 track changes (LiveSet's pick and
 *    writes, bench/stall-sets.ts) and saving its position every 5 s: the event loop's delay, p99 and max
 *    (target ≤ 10 ms and ≤ 20 ms), and the sets' own main-thread CPU between two ticks of a 1 ms timer (what the delay
 *    would be on an idle machine); the same with the old pick for a few sets and changes (it holds the loop seconds);
 *    as a control, the delay of the same process with nothing to do (what the machine's other programs add).
 * 4. The guild record of a 1,000-song playlist added from 2,000-character links: its size and a position save's time
 *    (and the longest the loop was held): the links kept whole or as digests, the position saved in the record or
 *    beside it (as now).
 *
 * A real SQLite store with synthetic analyses as long as released tracks' (no audio is played: bench:voice measures
 * the audio), in a process with the shard processes' V8 flags (src/bot/sharding/shard-node-flags.ts).
 * BENCH_STALL_SIZES, BENCH_STALL_SETS, BENCH_STALL_CHANGES, BENCH_STALL_PERIOD_MS, BENCH_STALL_BASELINE_SETS,
 * BENCH_STALL_BASELINE_CHANGES change the run. Writes out/bench-stall.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MixScorer } from '../src/ai/mix-scorer.ts';
import { describeTrack } from '../src/ai/track-descriptor.ts';
import { liveTrackOf, pickNextTrack } from '../src/bot/playlist/next-track.ts';
import { SHARD_NODE_FLAGS } from '../src/bot/sharding/shard-node-flags.ts';
import { linkKey } from '../src/bot/playlist/stored-link.ts';
import type { LiveTrack } from '../src/bot/playlist/next-track.ts';
import type { GuildState } from '../src/db/guild-store.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { oldPickFromPlaylist } from './stall-baseline.ts';
import { idleLoop, runSets } from './stall-sets.ts';
import type { Pick, StallRun } from './stall-sets.ts';
import { openWorld, seedGuild } from './stall-world.ts';
import type { StallWorld } from './stall-world.ts';

// The live sets run as in a shard process: with its V8 flags.
if (!SHARD_NODE_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  const run = spawnSync(process.execPath, [...process.execArgv, ...SHARD_NODE_FLAGS, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}

const env = (name: string, fallback: string): string => process.env[name] || fallback;
const SIZES = env('BENCH_STALL_SIZES', '100,1000,10000').split(',').map(Number);
const SETS = Number(env('BENCH_STALL_SETS', '20'));
const CHANGES = Number(env('BENCH_STALL_CHANGES', '10'));
const PERIOD_MS = Number(env('BENCH_STALL_PERIOD_MS', '6000'));
const BASELINE_SETS = Number(env('BENCH_STALL_BASELINE_SETS', '4'));
const BASELINE_CHANGES = Number(env('BENCH_STALL_BASELINE_CHANGES', '2'));
/** The old pick builds n² × 22 features (4 bytes each): past this it is not run. */
const OLD_MAX_N = 3000;
const SET_PLAYLIST = 1000;
const QUALITY_PICKS = 20;
const IDLE_SEC = 20;
const MEMBERS = 25;

const round = (x: number, d = 1) => Number(x.toFixed(d));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const say = (line: string) => console.log(line);

const newPick: Pick = async (state, current, order, deps) => (await pickNextTrack(state, current, order, deps)).track;
const oldPick: Pick = oldPickFromPlaylist;

interface Timed {
  ms: number;
  /** The main thread's CPU time (ms): what the work costs the event loop, whatever else the machine runs. */
  cpuMs: number;
  /** The longest the event loop was held while it ran (ms; on a loaded machine, stretched by what else runs). */
  blockMs: number;
}

const threadCpuMs = () => {
  const c = process.threadCpuUsage();
  return (c.user + c.system) / 1000;
};

async function timed(run: () => Promise<unknown>): Promise<Timed> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const [t0, c0] = [performance.now(), threadCpuMs()];
  await run();
  const [ms, cpuMs] = [performance.now() - t0, threadCpuMs() - c0];
  loop.disable();
  return { ms, cpuMs, blockMs: Math.max(0, loop.max / 1e6 - 1) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function trackOf(world: StallWorld, i: number): Promise<LiveTrack> {
  return (await liveTrackOf((await world.analyses.get(world.tracks.at(i)!.hash))!, world.files))!;
}

const guildOf = (tag: number) => String(800000000000000000n + BigInt(tag));

/** Part 1: the pick's time at each playlist size, new and old, and the pairs each scores. */
async function pickTimes(world: StallWorld, scorer: MixScorer): Promise<Record<string, unknown>[]> {
  let pairs = 0;
  const real = scorer.scoreFeatures.bind(scorer);
  scorer.scoreFeatures = (x, n) => ((pairs += n), real(x, n));
  const rows: Record<string, unknown>[] = [];
  for (const n of SIZES) {
    const guildId = guildOf(n);
    await seedGuild(world, guildId, world.tracks.slice(0, n), MEMBERS, n);
    const current = await trackOf(world, -1);
    const row: Record<string, unknown> = { n };
    for (const [name, pick, runs] of [
      ['new', newPick, 7],
      ['old', oldPick, 3],
    ] as const) {
      if (name === 'old' && n > OLD_MAX_N) {
        row.old = `not run: ${n.toLocaleString('en')}² pairs × 22 features = ${round((n * n * 22 * 4) / 1e9)} GB`;
        continue;
      }
      const times: Timed[] = [];
      // One run first, not counted: the code warmed up, as in a bot that has been picking for a while.
      for (let r = 0; r <= runs; r++) {
        pairs = 0;
        const run = await timed(async () => pick(await world.store.get(guildId), current, 'smart', world.deps));
        if (r > 0) times.push(run);
      }
      row[name] = {
        medianMs: round(median(times.map((t) => t.ms))),
        cpuMs: round(mean(times.map((t) => t.cpuMs))),
        worstBlockMs: round(Math.max(...times.map((t) => t.blockMs))),
        pairsScored: pairs,
      };
    }
    say(`  n = ${n.toLocaleString('en')}: new ${JSON.stringify(row.new)}; old ${JSON.stringify(row.old)}`);
    rows.push(row);
  }
  scorer.scoreFeatures = real;
  return rows;
}

/** Part 2: the windowed pick against the whole-playlist one, as a set progresses through a 1,000-song playlist. */
async function pickQuality(world: StallWorld, scorer: MixScorer): Promise<Record<string, unknown>> {
  const guildId = guildOf(SET_PLAYLIST);
  const state = await world.store.get(guildId);
  const deltas: number[] = [];
  for (let t = 0; t < QUALITY_PICKS; t++) {
    const current = await trackOf(world, -2 - t);
    const progressed: GuildState = { ...state, playlist: state.playlist.slice(3 * t) };
    const [now, before] = [
      await newPick(progressed, current, 'smart', world.deps),
      await oldPick(progressed, current, 'smart', world.deps),
    ];
    if (now!.hash === before!.hash) continue;
    const from = describeTrack(current.analysis);
    deltas.push(
      (await scorer.score(from, describeTrack(now!.analysis))) -
        (await scorer.score(from, describeTrack(before!.analysis))),
    );
  }
  const result = {
    picks: QUALITY_PICKS,
    differ: deltas.length,
    scoreDeltas: deltas.map((d) => round(d, 3)),
    meanDelta: round(deltas.reduce((a, b) => a + b, 0) / QUALITY_PICKS, 4),
  };
  say(
    `  ${result.differ} of ${QUALITY_PICKS} picks differ from the whole-playlist order's; the opening transition's score changed by ${result.scoreDeltas.join(', ') || 'nothing'} (mean over all picks ${result.meanDelta})`,
  );
  return result;
}

const gapList = (gaps: StallRun['longestGaps']) =>
  gaps.map((g) => `${g.gapMs} ms (${g.runningMs} / ${g.waitingForCoreMs} / ${g.blockedMs}; GC ${g.gcMs})`).join(', ') ||
  'none';
const gapSplit = (t: StallRun['gapTotals']) =>
  `${t.count} gaps, ${t.runningMs} ms running / ${t.waitingForCoreMs} ms waiting for a core (the machine's other programs) / ${t.blockedMs} ms blocked (in a system call such as a statement's fsync, or on GC's helper threads); of them ${t.gcMs} ms in V8's GC pauses`;

/** Part 3: the sets, with the windowed pick, then with the old one. */
async function sets(world: StallWorld): Promise<Record<string, unknown>> {
  const guilds = Array.from({ length: SETS }, (_, g) => guildOf(100_000 + g));
  for (const [g, guildId] of guilds.entries())
    await seedGuild(world, guildId, world.tracks.slice(0, SET_PLAYLIST), MEMBERS, 1000 + g);
  const idle = await idleLoop(IDLE_SEC);
  say(
    `  control, the same process with nothing to do for ${IDLE_SEC} s: event-loop delay p99 ${idle.p99} ms, max ${idle.max} ms (the machine's own noise); gaps over 10 ms: ${gapSplit(idle.gapTotals)}`,
  );
  const now = await runSets(world, guilds, newPick, { changes: CHANGES, periodMs: PERIOD_MS, saveEveryMs: 5000 });
  say(
    `  ${now.sets} sets × ${now.changesPerSet} changes (${now.changes}, ${now.positionSaves} position saves, ${now.wallSec} s): event-loop delay p50 ${now.loopDelayMs.p50} ms, p99 ${now.loopDelayMs.p99} ms, max ${now.loopDelayMs.max} ms (target ≤ 10 / ≤ 20); the sets' own work between two 1 ms ticks p99 ${now.ownWorkBetweenTicksMs.p99} ms, max ${now.ownWorkBetweenTicksMs.max} ms; pick median ${now.pickMs.median} ms, max ${now.pickMs.max} ms; main-thread CPU ${now.cpuMsPerChange} ms a change`,
  );
  say(
    `    the loop's gaps over 10 ms, by the kernel's account of the main thread: ${gapSplit(now.gapTotals)}; the longest ${gapList(now.longestGaps)}`,
  );
  say(
    `    V8's GC over the run: ${now.gc.scavenges.count} scavenges (longest ${now.gc.scavenges.maxMs} ms), ${now.gc.markCompacts.count} mark-compacts (longest final pause ${now.gc.markCompacts.maxMs} ms)`,
  );
  const before = await runSets(world, guilds.slice(0, BASELINE_SETS), oldPick, {
    changes: BASELINE_CHANGES,
    periodMs: PERIOD_MS,
    saveEveryMs: 5000,
  });
  say(
    `  old pick, ${before.sets} sets × ${before.changesPerSet} changes (${before.wallSec} s): event-loop delay p50 ${before.loopDelayMs.p50} ms, p99 ${before.loopDelayMs.p99} ms, max ${before.loopDelayMs.max} ms; own work between ticks p99 ${before.ownWorkBetweenTicksMs.p99} ms, max ${before.ownWorkBetweenTicksMs.max} ms; pick median ${before.pickMs.median} ms, max ${before.pickMs.max} ms; main-thread CPU ${before.cpuMsPerChange} ms a change`,
  );
  return { idle, now, before };
}

/** Part 4: a 1,000-entry playlist of 2,000-character links; the position saved in the record (before) and beside it (now). */
async function record(world: StallWorld): Promise<Record<string, unknown>> {
  const link = (i: number) => `https://files.example/${String(i).padStart(4, '0')}/${'x'.repeat(1966)}.mp3`;
  const rows: Record<string, unknown> = {};
  const variants = [
    ['before', link, false, 'links kept whole, the position saved in the record (before)'],
    ['digests', (i: number) => linkKey(link(i)), false, 'links kept as digests, the position saved in the record'],
    ['now', (i: number) => linkKey(link(i)), true, 'links kept as digests, the position saved beside the record (now)'],
  ] as const;
  for (const [name, kept, beside, label] of variants) {
    const guildId = guildOf(200_001 + variants.findIndex((v) => v[0] === name));
    await seedGuild(world, guildId, world.tracks.slice(0, SET_PLAYLIST), MEMBERS, 7, kept);
    const at = new Date().toISOString();
    const updated = await world.store.update(guildId, (s) => ({
      ...s,
      session: {
        voiceChannelId: '1',
        textChannelId: '2',
        order: 'smart',
        startedAt: at,
        current: { hash: s.playlist[0]!.hash, title: 't', positionSec: 0, savedAt: at },
      },
    }));
    const hash = updated.session!.current.hash;
    const save = (positionSec: number) =>
      beside
        ? world.store.savePosition(guildId, { hash, positionSec, savedAt: new Date().toISOString() })
        : world.store.update(guildId, (s) => ({
            ...s,
            session: {
              ...s.session!,
              current: { ...s.session!.current, positionSec, savedAt: new Date().toISOString() },
            },
          }));
    const saves: Timed[] = [];
    for (let i = 1; i <= 21; i++) saves.push(await timed(() => save(5 * i)));
    const bytes = JSON.stringify(await world.store.get(guildId)).length;
    const steady = saves.slice(1);
    rows[name] = {
      recordBytes: bytes,
      saveMedianMs: round(median(steady.map((t) => t.ms))),
      cpuMs: round(mean(steady.map((t) => t.cpuMs))),
      worstBlockMs: round(Math.max(...steady.map((t) => t.blockMs))),
    };
    say(`  ${label}: record ${round(bytes / 1e6, 2)} MB; a position save ${JSON.stringify(rows[name])}`);
  }
  return rows;
}

say('# Mini-DJ stall benchmark: the main thread at track changes');
say(
  `  load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const world = await openWorld(Math.max(...SIZES, SET_PLAYLIST) + Math.max(SETS, QUALITY_PICKS) + 2);
const scorer = await world.scorer.get();
say(
  `  store: ${world.tracks.length.toLocaleString('en')} synthetic analyses (${Math.round(world.tracks[0]!.durationSec)} s tracks) in SQLite`,
);
say('pick time by playlist size (state read + pick, smart order):');
const picks = await pickTimes(world, scorer);
say('pick quality (1,000-song playlist):');
const quality = await pickQuality(world, scorer);
say(`live sets (${SET_PLAYLIST.toLocaleString('en')}-song smart playlists):`);
const live = await sets(world);
say('the guild record (1,000 songs added from 2,000-character links):');
const records = await record(world);
await world.close();
const out = path.join(PROJECT_ROOT, 'out');
mkdirSync(out, { recursive: true });
writeFileSync(
  path.join(out, 'bench-stall.json'),
  JSON.stringify({ loadAverage: loadavg(), picks, quality, live, record: records }, null, 2),
);
say(
  `  written: out/bench-stall.json; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
