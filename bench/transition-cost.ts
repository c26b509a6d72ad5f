// node bench/transition-cost.ts — what one live transition costs in CPU-seconds (this process, its render thread and
// every decoder it starts, read from /proc), and how many ffmpeg/ffprobe processes it starts, with no real-time
// pacing: CPU-seconds hold on a loaded machine where wall-clock figures do not. Each transition is done as a live set
// does it: the render (beat check and any re-plan included) on the renderer's thread, B's ramp when it is streamed,
// and B's body deck opened on this thread and read for its first seconds. Then a minute of a body streamed: decoded,
// limited and Opus-encoded, the continuous part of a set.
// BENCH_COST_DUE: seconds until the transition plays when its render starts (default 120, a set's own rate; 10: a
// render due soon, its head split and its ramp streamed). BENCH_COST_PAIRS: "0-1,1-2" (indices into the steady crate;
// default its rotation). BENCH_COST_REPEAT (default 1). Writes out/transition-cost.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DeckReader } from '../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../src/audio/io/mix-format.ts';
import { PeakLimiter } from '../src/audio/dsp/peak-limiter.ts';
import { vetMedia } from '../src/audio/io/vet-media.ts';
import { renderChecked } from '../src/audio/transition/check-and-replan.ts';
import { pitchCents, playsAsVinyl } from '../src/audio/transition/tempo-schedule.ts';
import { planTransition } from '../src/audio/transition/transition-plan.ts';
import { TransitionRamp } from '../src/audio/transition/transition-ramp.ts';
import { TransitionRenderer } from '../src/audio/transition/transition-renderer.ts';
import { transitionJob } from '../src/audio/set/transition-job.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { prestartSpawner } from '../src/util/spawner.ts';
import { OpusEncoderPool } from '../src/voice/opus-encoder.ts';
import { treeCpu } from '../src/voice/process-cpu.ts';
import { ensureVoiceCrate } from './voice-crate.ts';
import { countStarts } from './process-starts.ts';

const DUE_SEC = Number(process.env.BENCH_COST_DUE ?? 120);
const REPEAT = Number(process.env.BENCH_COST_REPEAT ?? 1);
const BODY_SEC = 5;
const STREAM_SEC = 60;
const CHUNK = 4800;

const cpuNow = (): number => {
  const c = treeCpu()!;
  return c.rootSec + c.childSec;
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

const crate = await ensureVoiceCrate((l) => console.log(l), 'steady');
const pairs = (process.env.BENCH_COST_PAIRS ?? crate.map((_, i) => `${i}-${(i + 1) % crate.length}`).join(','))
  .split(',')
  .map((p) => p.split('-').map(Number) as [number, number]);
prestartSpawner();
const renderer = new TransitionRenderer({ nice: 0, concurrency: 1 });
const starts = countStarts();
await settle();

console.log(
  `# One transition's cost, due in ${DUE_SEC} s when its render starts (${process.env.MINIDJ_VINYL_MAX_PCT === undefined ? 'vinyl bound 1 %' : `MINIDJ_VINYL_MAX_PCT=${process.env.MINIDJ_VINYL_MAX_PCT}`})`,
);
const rows: {
  pair: string;
  stretchPct: number;
  vinyl: boolean;
  pitchCents: number;
  cpuSec: number;
  renderCpuSec: number;
  starts: number;
}[] = [];
for (let r = 0; r < REPEAT; r++) {
  for (const [i, j] of pairs) {
    const a = crate[i]!;
    const b = crate[j]!;
    const plan = planTransition(a, b);
    const job = { ...transitionJob(plan, a, b, -14), dueInSec: DUE_SEC };
    const before = starts.count();
    const c0 = cpuNow();
    // As the engine does when it plans: both files vetted on this thread (A's remembered since its body opened), the
    // render asked for with what was vetted (BENCH_COST_REVET=1: without, its thread probing them again as it used to).
    const [fromMedia, toMedia] = await Promise.all([vetMedia(a.file), vetMedia(b.file)]);
    const withMedia =
      process.env.BENCH_COST_REVET === '1'
        ? job
        : { ...job, from: { ...job.from, media: fromMedia }, to: { ...job.to, media: toMedia } };
    const checked = await renderChecked((jb) => renderer.render(jb), withMedia, a, b);
    await settle();
    const c1 = cpuNow();
    const rendered = checked.rendered;
    if (rendered.handoffFrame < rendered.junctionFrame) {
      const ramp = new TransitionRamp(transitionJob(checked.plan, a, b, -14), rendered);
      for (let f = 0; f < ramp.frames; f += CHUNK) await ramp.read(Math.min(CHUNK, ramp.frames - f));
      ramp.close();
    }
    const body = new DeckReader({ file: b.file, fromSec: rendered.bodyFromSec, gain: 1 });
    for (let f = 0; f < BODY_SEC * MIX_RATE; f += CHUNK) await body.read(CHUNK);
    body.close();
    await settle();
    const c2 = cpuNow();
    const vinyl = playsAsVinyl(checked.plan.schedule);
    rows.push({
      pair: `${i}-${j}`,
      stretchPct: Number(checked.plan.stretchPct.toFixed(2)),
      vinyl,
      pitchCents: vinyl ? Number(pitchCents(checked.plan.tempo).toFixed(1)) : 0,
      cpuSec: c2 - c0,
      renderCpuSec: c1 - c0,
      starts: starts.count() - before,
    });
    const row = rows.at(-1)!;
    console.log(
      `  ${a.analysis.bpm}→${b.analysis.bpm} BPM (${row.stretchPct >= 0 ? '+' : ''}${row.stretchPct} %${vinyl ? `, vinyl ${row.pitchCents} cents` : ''}), ${checked.plan.overlapBars}-bar ${checked.plan.style}${checked.check ? ` (${checked.check.verdict})` : ''}: ${row.cpuSec.toFixed(2)} CPU-s (render ${row.renderCpuSec.toFixed(2)}), ${row.starts} ffmpeg/ffprobe starts`,
    );
  }
}
await renderer.close();

// A minute of a body as a live set streams it: decoded, through the limiter, Opus-encoded.
const pool = new OpusEncoderPool(1);
const limiter = new PeakLimiter(MIX_RATE, 2);
const encoder = pool.open();
const s0 = cpuNow();
const deck = new DeckReader({ file: crate[0]!.file, fromSec: 30, gain: 1 });
for (let f = 0; f < STREAM_SEC * MIX_RATE; f += CHUNK) {
  const chunk = await deck.read(CHUNK);
  limiter.process(chunk);
  await encoder.encode(chunk);
}
deck.close();
encoder.close();
await settle();
const streamCpuSec = cpuNow() - s0;
await pool.close();

const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
const summary = {
  dueInSec: DUE_SEC,
  vinylMaxPct: process.env.MINIDJ_VINYL_MAX_PCT ?? '1',
  transitions: rows.length,
  meanCpuSec: mean(rows.map((r) => r.cpuSec)),
  meanRenderCpuSec: mean(rows.map((r) => r.renderCpuSec)),
  meanStarts: mean(rows.map((r) => r.starts)),
  streamCpuSecPerMin: (streamCpuSec * 60) / STREAM_SEC,
  rows,
};
console.log(
  `\nper transition: ${summary.meanCpuSec.toFixed(2)} CPU-s (render ${summary.meanRenderCpuSec.toFixed(2)}), ${summary.meanStarts.toFixed(1)} ffmpeg/ffprobe starts; a streamed minute (decode, limiter, Opus): ${summary.streamCpuSecPerMin.toFixed(2)} CPU-s`,
);
mkdirSync(path.join(PROJECT_ROOT, 'out'), { recursive: true });
writeFileSync(path.join(PROJECT_ROOT, 'out', 'transition-cost.json'), JSON.stringify(summary, null, 2));
process.exit(0);
