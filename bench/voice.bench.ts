// npm run bench:voice — how many guilds' DJ sets one machine streams at once in real time, with zero late frames, and
// the CPU and memory each stream costs. Each N runs in a fresh child process (bench/voice-one.ts): N SetBroadcasts on
// one shared TransitionRenderer, driven by the real @discordjs/voice 20 ms audio cycle into always-ready fake voice
// connections that record every packet the players prepare.
// Two scenarios (BENCH_VOICE_SCENARIO): 'burst' (the default) has every guild mix out of its first track 25–60 s after
// its start, so the window holds a transition per guild, the worst a restart or a rush of starts brings; 'steady' has
// 220–238 s tracks and spreads the guilds' transitions over 150 s, a set's own rate, over a 160 s window.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_TIMING } from '../src/bot/live/live-set.ts';
import { DEFAULT_TRANSITION_EVERY_SEC } from '../src/voice/admission.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { ensureVoiceCrate } from './voice-crate.ts';
import type { VoiceScenario } from './voice-crate.ts';
import { CLOSED_LINGER_MS, DEFAULT_EXIT_SPREAD_SEC, MARK } from './voice-one.ts';
import type { VoiceChildResult, VoiceRunOptions } from './voice-one.ts';
import { descendants, machineTicks, treeCpu, treeMemory } from './voice-proc.ts';
import type { TreeMemory } from './voice-proc.ts';

const OUT = path.join(PROJECT_ROOT, 'out');
mkdirSync(OUT, { recursive: true });

const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};
const GOAL = 20;
const SCENARIO: VoiceScenario = process.env.BENCH_VOICE_SCENARIO === 'steady' ? 'steady' : 'burst';
const steady = SCENARIO === 'steady';
const STAGGER_SEC = env('BENCH_VOICE_STAGGER_SEC', 20);
const WINDOW_SEC = env('BENCH_VOICE_WINDOW_SEC', steady ? 160 : 60);
const EXIT_SPREAD_SEC = steady ? 150 : DEFAULT_EXIT_SPREAD_SEC;
// The bot's own defaults: the stream's lead and how late a transition may be before it becomes a cut.
const LEAD_SEC = env('BENCH_VOICE_LEAD_SEC', DEFAULT_TIMING.leadSec);
const RENDER_DEADLINE_MS = env('BENCH_VOICE_RENDER_DEADLINE_MS', DEFAULT_TIMING.renderDeadlineMs);
const BUDGET_SEC = env('BENCH_VOICE_BUDGET_SEC', 480);
const PLAN = (process.env.BENCH_VOICE_N ?? '1,10,20,30')
  .split(',')
  .filter((x) => x !== '')
  .map(Number);
// Past the plan: one run asking for more guilds than the machine carries, each start asking the bot's admission control.
const ADMISSION_N = env('BENCH_VOICE_ADMISSION_N', 40);

console.log('# Mini-DJ voice benchmark: concurrent guild sets streamed in real time');
console.log(
  `  machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const crate = await ensureVoiceCrate((l) => console.log(l), SCENARIO);
console.log(
  `  scenario: ${SCENARIO} (each guild mixes out of its first track 25–${25 + EXIT_SPREAD_SEC} s after its start)`,
);
console.log(
  `  crate: ${crate.length} synthesized tracks of ${Math.min(...crate.map((t) => t.analysis.durationSec)).toFixed(0)}–${Math.max(...crate.map((t) => t.analysis.durationSec)).toFixed(0)} s, ${crate.map((t) => `${t.analysis.bpm.toFixed(0)}/${t.analysis.camelot}`).join(', ')}; each guild plays its own rotation`,
);
console.log(
  `  per N: starts staggered over ${STAGGER_SEC} s, then a ${WINDOW_SEC} s steady window; lead ${LEAD_SEC} s, render deadline ${RENDER_DEADLINE_MS} ms; Opus 128 kb/s`,
);

interface VoiceRunResult extends VoiceChildResult {
  cpu: {
    /** CPU seconds over the window: the Node process (all threads: main, transition worker, libuv) and its children. */
    nodeSec: number;
    childSec: number;
    totalSec: number;
    /** Per stream, per second of audio, in % of one core. */
    perStreamPctOfCore: number;
    /** The whole machine's busy share over the window (every process; 100 % = all cores busy). */
    machineBusyPct: number;
  };
  memory: {
    /** The child, loaded and idle, before any guild. */
    idleRssMb: number;
    idlePssMb: number;
    /** Node process plus its descendants over the window: sum of VmRSS, and of PSS (shared pages split fairly). */
    meanRssMb: number;
    maxRssMb: number;
    meanPssMb: number;
    nodeRssMb: number;
    processes: number;
    perStreamRssMb: number;
    perStreamPssMb: number;
  };
  /** Descendant processes still alive 2 s after every broadcast was closed (the decoders' spawners, fixed, left out). */
  childrenAfterClose: number;
}

const SAMPLE_MS = 2000;

/** The decoders' spawner processes (one per thread that decodes: src/util/spawner.ts) live as long as the process. */
function isSpawner(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('spawner-process');
  } catch {
    return false;
  }
}

/** One N in a fresh child process, measured from here through /proc between the child's marks. */
async function runN(guilds: number, admission = false): Promise<VoiceRunResult> {
  const opts: VoiceRunOptions = {
    guilds,
    staggerSec: STAGGER_SEC,
    windowSec: WINDOW_SEC,
    leadSec: LEAD_SEC,
    renderDeadlineMs: RENDER_DEADLINE_MS,
    scenario: SCENARIO,
    exitSpreadSec: EXIT_SPREAD_SEC,
    ...(admission ? { admission } : {}),
  };
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bench/voice-one.ts'), JSON.stringify(opts)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  let idle: TreeMemory | undefined;
  let cpu0: ReturnType<typeof treeCpu> | undefined;
  let cpu1: ReturnType<typeof treeCpu> | undefined;
  let m0: ReturnType<typeof machineTicks> | undefined;
  let m1: ReturnType<typeof machineTicks> | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let childrenAfterClose = 0;
  const samples: TreeMemory[] = [];
  let closedCount: Promise<void> | undefined;
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (line === MARK.idle) idle = treeMemory(pid);
    else if (line === MARK.windowStart) {
      cpu0 = treeCpu(pid);
      m0 = machineTicks();
      let k = 0;
      // PSS (smaps_rollup) costs the kernel a walk of each process's page tables: every third sample.
      sampler = setInterval(() => samples.push(treeMemory(pid, k++ % 3 === 0)), SAMPLE_MS);
    } else if (line === MARK.windowEnd) {
      cpu1 = treeCpu(pid);
      m1 = machineTicks();
      clearInterval(sampler);
    } else if (line === MARK.closed) {
      closedCount = new Promise((resolve) =>
        setTimeout(
          () => {
            childrenAfterClose = descendants(pid).filter((p) => !isSpawner(p)).length;
            resolve();
          },
          Math.min(2000, CLOSED_LINGER_MS - 500),
        ),
      );
    } else console.error(line);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  await closedCount;
  if (code !== 0 || !idle || !cpu0 || !cpu1 || !m0 || !m1)
    throw new Error(`the N = ${guilds} run failed (exit ${code})`);
  const r = JSON.parse(stdout) as VoiceChildResult;
  const nodeSec = cpu1.rootSec - cpu0.rootSec;
  const childSec = cpu1.childSec - cpu0.childSec;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const withPss = samples.filter((x) => x.pssKb > 0);
  const meanRssMb = mean(samples.map((x) => x.rssKb)) / 1024;
  const meanPssMb = mean(withPss.map((x) => x.pssKb)) / 1024;
  return {
    ...r,
    cpu: {
      nodeSec,
      childSec,
      totalSec: nodeSec + childSec,
      perStreamPctOfCore: (100 * (nodeSec + childSec)) / (r.expectedPacketsInWindow / 50),
      machineBusyPct: (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
    },
    memory: {
      idleRssMb: idle.rssKb / 1024,
      idlePssMb: idle.pssKb / 1024,
      meanRssMb,
      maxRssMb: Math.max(...samples.map((x) => x.rssKb)) / 1024,
      meanPssMb,
      nodeRssMb: mean(samples.map((x) => x.rootRssKb)) / 1024,
      processes: Math.round(mean(samples.map((x) => x.processes))),
      perStreamRssMb: (meanRssMb - idle.rssKb / 1024) / Math.max(1, r.expectedPacketsInWindow / 50 / WINDOW_SEC),
      perStreamPssMb: (meanPssMb - idle.pssKb / 1024) / Math.max(1, r.expectedPacketsInWindow / 50 / WINDOW_SEC),
    },
    childrenAfterClose,
  };
}

const results: VoiceRunResult[] = [];
let baseline: VoiceRunResult | undefined;
const f1 = (x: number) => x.toFixed(1);

function printRun(r: VoiceRunResult): void {
  const n = r.options.guilds;
  const c = r.cpu;
  const vsBase =
    baseline && baseline !== r
      ? ` (${(c.perStreamPctOfCore / baseline.cpu.perStreamPctOfCore).toFixed(2)}× N=1; marginal ${f1((100 * (c.totalSec - baseline.cpu.totalSec)) / ((n - 1) * r.options.windowSec))} %)`
      : '';
  const memVsBase =
    baseline && baseline !== r
      ? `; marginal ${f1((r.memory.meanPssMb - baseline.memory.meanPssMb) / (n - 1))} MB PSS`
      : '';
  console.log(`\n## N = ${n}`);
  console.log(
    `  late frames: ${r.lateFrames} (${r.lateFramesInWindow} in the window; at transitions ${r.lateByWhere.transition}, at starts ${r.lateByWhere.start}, in bodies ${r.lateByWhere.body}) in ${r.guildsWithLateFrames} of ${n} guilds; packets in the window ${r.packetsInWindow} of ${r.expectedPacketsInWindow}`,
  );
  if (r.lateSample.length > 0)
    console.log(
      `    first: ${r.lateSample
        .slice(0, 8)
        .map((l) => `guild ${l.guild} at ${l.atSec.toFixed(2)} s (set ${l.setSec.toFixed(1)} s, ${l.where})`)
        .join('; ')}`,
    );
  console.log(
    `  transitions: ${r.transitions} (${r.transitionsInWindow} in the window), fallback cuts (not rendered in time): ${r.fallbackCuts}; slowest start to first packet ${r.maxStartupMs.toFixed(0)} ms`,
  );
  console.log(
    `  audio cycle: ${r.cycle.cycles} cycles, interval mean ${r.cycle.meanIntervalMs.toFixed(2)} ms, p99 ${r.cycle.p99IntervalMs.toFixed(1)} ms, max ${r.cycle.maxIntervalMs.toFixed(1)} ms; lateness vs the 20 ms grid p99 ${r.cycle.p99LatenessMs.toFixed(1)} ms, max ${r.cycle.maxLatenessMs.toFixed(1)} ms; last prepare ≤ ${r.cycle.maxPrepareSpreadMs.toFixed(1)} ms after the cycle start; event-loop delay p99 ${r.eventLoopDelayMs.p99.toFixed(1)} ms, max ${r.eventLoopDelayMs.max.toFixed(1)} ms`,
  );
  if (r.cycle.maxLatenessMs > 40)
    console.log(
      `    latest cycles: ${r.cycle.worst.map((w) => `${w.latenessMs} ms at ${w.atSec.toFixed(2)} s`).join(', ')}`,
    );
  console.log(
    `  CPU: ${f1(c.totalSec)} CPU-s in ${r.options.windowSec} s (Node ${f1(c.nodeSec)}, ffmpeg ${f1(c.childSec)}) = ${f1(c.perStreamPctOfCore)} % of a core per stream${vsBase}; machine ${f1(c.machineBusyPct)} % busy`,
  );
  console.log(
    `  memory: ${r.memory.processes} processes, RSS ${r.memory.meanRssMb.toFixed(0)} MB (Node ${r.memory.nodeRssMb.toFixed(0)}: JS heap ${r.heap.heapUsedMb.toFixed(0)}, ArrayBuffers ${r.heap.arrayBuffersMb.toFixed(0)}), PSS ${r.memory.meanPssMb.toFixed(0)} MB; idle process ${r.memory.idleRssMb.toFixed(0)} MB RSS → per stream ${f1(r.memory.perStreamRssMb)} MB RSS, ${f1(r.memory.perStreamPssMb)} MB PSS${memVsBase}`,
  );
  if (r.childrenAfterClose > 0)
    console.log(
      `  ! ${r.childrenAfterClose} child processes (decoders) still alive 2 s after every broadcast was closed`,
    );
}

/**
 * Clean: no late frame, no transition that fell back to a cut, and the audio cycle never more than MAX_CLEAN_LATENESS_MS
 * behind its grid (a longer stall reaches listeners as a burst of catch-up frames even when none is silent).
 */
const MAX_CLEAN_LATENESS_MS = 100;
// All packets sent: the window's 20 ms cycles each gave every guild a packet (a cycle still catching up lands a few
// outside the window: 0.5 % is allowed for that edge).
const allPackets = (r: VoiceRunResult): boolean => r.packetsInWindow >= 0.995 * r.expectedPacketsInWindow;
const clean = (r: VoiceRunResult): boolean =>
  r.lateFrames === 0 && r.fallbackCuts === 0 && r.cycle.maxLatenessMs <= MAX_CLEAN_LATENESS_MS && allPackets(r);
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const perRun = STAGGER_SEC + WINDOW_SEC + 10;
// The plan in ascending order; past it, a search for the largest clean N, within the time budget.
const queue = [...new Set(PLAN)].sort((a, b) => a - b);
const tried = new Set<number>();
while (queue.length > 0) {
  const n = queue.shift()!;
  if (tried.has(n)) continue;
  if (results.length > 0 && elapsed() + perRun > BUDGET_SEC) {
    console.log(`\n(N = ${n} skipped: the ${BUDGET_SEC} s budget is spent)`);
    break;
  }
  tried.add(n);
  const r = await runN(n);
  results.push(r);
  if (n === 1) baseline = r;
  printRun(r);
  const best = Math.max(0, ...results.filter(clean).map((x) => x.options.guilds));
  const firstDirty = Math.min(
    ...results.filter((x) => !clean(x) && x.options.guilds > best).map((x) => x.options.guilds),
  );
  if (!clean(r)) {
    // The planned N up to the goal always run (one late frame at a start must not hide how 20 fares); beyond the goal,
    // larger N than a dirty one are not worth the time: search between the best clean N and this one instead.
    for (let k = queue.length - 1; k >= 0; k--) if (queue[k]! > Math.max(n, GOAL)) queue.splice(k, 1);
  }
  if (queue.length === 0) {
    const next = Number.isFinite(firstDirty) ? Math.floor((best + firstDirty) / 2) : best + 10;
    if (next > best && next !== firstDirty && !tried.has(next)) queue.push(next);
  }
}

let admissionRun: VoiceRunResult | undefined;
if (ADMISSION_N > 0) {
  admissionRun = await runN(ADMISSION_N, true);
  const a = admissionRun.admission!;
  console.log(
    `\n## Admission control: ${ADMISSION_N} guilds ask to start (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  console.log(
    `  admitted ${a.admitted}, refused ${a.refused}; capacity ${a.figures.capacity} at the last start (${f1(a.figures.streamCostPct)} % of a core per set${a.figures.renderCostPct !== undefined ? `, of it renders ${f1(a.figures.renderCostPct)} % (${f1(a.figures.renderCpuSec ?? 0)} CPU-s a render, one a set every ${DEFAULT_TRANSITION_EVERY_SEC} s)` : ''}, ${a.figures.measured ? 'streaming measured over the last minute' : 'the default: not yet a minute of sets measured'}; event-loop delay p99 ${a.figures.loopLagMs.toFixed(1)} ms)`,
  );
  if (a.firstRefusal) console.log(`  refusal: "${a.firstRefusal}"`);
  printRun(admissionRun);
  console.log(
    `  admitted sets ${clean(admissionRun) ? 'clean' : 'NOT clean'}: ${admissionRun.packetsInWindow} of ${admissionRun.expectedPacketsInWindow} packets in the window, ${admissionRun.lateFrames} late frames, ${admissionRun.fallbackCuts} fallback cuts, cycle ≤ ${admissionRun.cycle.maxLatenessMs.toFixed(0)} ms late`,
  );
}

console.log('\n## Summary');
console.log(
  '  guilds | late frames | max cycle lateness (ms) | CPU % of a core per stream | MB per stream (PSS) | fallback cuts',
);
for (const r of [...results].sort((a, b) => a.options.guilds - b.options.guilds)) {
  console.log(
    `  ${String(r.options.guilds).padStart(6)} | ${String(r.lateFrames).padStart(11)} | ${r.cycle.maxLatenessMs.toFixed(1).padStart(23)} | ${f1(r.cpu.perStreamPctOfCore).padStart(26)} | ${f1(r.memory.perStreamPssMb).padStart(19)} | ${r.fallbackCuts}/${r.transitions}`,
  );
}
const best = Math.max(0, ...results.filter(clean).map((r) => r.options.guilds));
const noLate = Math.max(0, ...results.filter((r) => r.lateFrames === 0).map((r) => r.options.guilds));
console.log(`\nmost guilds streamed with zero late frames: ${noLate}`);
console.log(
  `most guilds streamed cleanly (0 late frames, 0 fallback cuts, audio cycle ≤ ${MAX_CLEAN_LATENESS_MS} ms late, all packets sent): ${best} (goal ≥ ${GOAL})`,
);
const report = {
  machine: {
    cores: cpus().length,
    model: cpus()[0]?.model.trim(),
    memTotalMb: Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024,
  },
  settings: {
    scenario: SCENARIO,
    exitSpreadSec: EXIT_SPREAD_SEC,
    staggerSec: STAGGER_SEC,
    windowSec: WINDOW_SEC,
    leadSec: LEAD_SEC,
    renderDeadlineMs: RENDER_DEADLINE_MS,
    bitrateKbps: 128,
  },
  crate: crate.map((t) => ({
    id: t.id,
    durationSec: t.analysis.durationSec,
    bpm: t.analysis.bpm,
    camelot: t.analysis.camelot,
  })),
  runs: results,
  admissionRun,
  mostGuildsWithZeroLateFrames: noLate,
  mostGuildsClean: best,
  cleanMeans: { lateFrames: 0, fallbackCuts: 0, maxCycleLatenessMs: MAX_CLEAN_LATENESS_MS },
  goal: GOAL,
};
const outFile = steady ? 'bench-voice-steady.json' : 'bench-voice.json';
writeFileSync(path.join(OUT, outFile), JSON.stringify(report, null, 2));
console.log(`\nwritten: out/${outFile}`);
