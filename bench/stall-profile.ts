// Profiles bench:stall's live sets: the main thread's CPU samples (100 µs), its GC pauses and every event-loop gap
// over 15 ms, with their times on one clock, written for bench/stall-gaps.ts to correlate. Not part of bench:stall.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';
import type { Pick } from './stall-sets.ts';
import { runSets } from './stall-sets.ts';
import { openWorld, seedGuild } from './stall-world.ts';
import { pickNextTrack } from '../src/bot/playlist/next-track.ts';

const OUT = process.env.STALL_PROFILE_OUT ?? '/tmp/stall-profile';
/** 0: no CPU profile (GC pauses and gaps alone, without the sampler's own cost); else the sampling interval, µs. */
const INTERVAL_US = Number(process.env.STALL_PROFILE_INTERVAL_US ?? 100);
const SETS = Number(process.env.BENCH_STALL_SETS ?? 20);
const CHANGES = Number(process.env.BENCH_STALL_CHANGES ?? 10);
const world = await openWorld(1000 + SETS + 2);
const guilds = Array.from({ length: SETS }, (_, g) => String(800000000000100000n + BigInt(g)));
for (const [g, guildId] of guilds.entries()) await seedGuild(world, guildId, world.tracks.slice(0, 1000), 25, 1000 + g);
const pick: Pick = async (state, current, order, deps) => (await pickNextTrack(state, current, order, deps)).track;
// Warmed up as bench:stall's earlier parts warm it (a bot that has been picking for a while).
const state = await world.store.get(guilds[0]!);
const { liveTrackOf } = await import('../src/bot/playlist/next-track.ts');
const current = (await liveTrackOf((await world.analyses.get(world.tracks.at(-1)!.hash))!, world.files))!;
for (let i = 0; i < 60; i++) await pick({ ...state, playlist: state.playlist.slice(i) }, current, 'smart', world.deps);

// Profile timestamps are CLOCK_MONOTONIC µs, as process.hrtime is: performance.now() (ms) maps onto them by this offset.
const offsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const toUs = (ms: number) => Math.round(ms * 1000 + offsetUs);
const gc: { startUs: number; ms: number; kind: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    gc.push({
      startUs: toUs(e.startTime),
      ms: e.duration,
      kind: (e as PerformanceEntry & { detail: { kind: number } }).detail.kind,
    });
}).observe({ entryTypes: ['gc'] });
const gaps: { startUs: number; endUs: number; ms: number }[] = [];
let last = performance.now();
const ticks = setInterval(() => {
  const now = performance.now();
  if (now - last > 15) gaps.push({ startUs: toUs(last), endUs: toUs(now), ms: now - last });
  last = now;
}, 1);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: INTERVAL_US || 100 });
if (INTERVAL_US) await session.post('Profiler.start');
const run = await runSets(world, guilds, pick, { changes: CHANGES, periodMs: 6000, saveEveryMs: 5000 });
clearInterval(ticks);
const profile = INTERVAL_US
  ? (await session.post('Profiler.stop')).profile
  : { nodes: [], startTime: toUs(0), samples: [], timeDeltas: [] };
writeFileSync(`${OUT}.cpuprofile`, JSON.stringify(profile));
writeFileSync(`${OUT}.json`, JSON.stringify({ run, gaps, gc, heapUsedMb: process.memoryUsage().heapUsed / 1e6 }));
console.log(JSON.stringify(run));
await world.close();
