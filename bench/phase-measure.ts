// node bench/phase-measure.ts [--synth] [FILE.ogg …] — the beat check's measure (src/audio/transition/deck-phase.ts) validated
// where its answer is known, on released tracks from ../shared/real-music (fold sharpness ≥ 10) and synthesized ones:
//  - a track against itself at the same position (identical decks: must read 0) and with its copy delayed by
//    10/20/30 ms (must read the delay);
//  - A's mix-out under A's own mix-in, each on its own grid (one fitted grid: reads small if the grid sits on the kicks
//    in both sections), and the same with B delayed (must read that figure plus the delay);
//  - each track's grid phase along the track: every bar's kick fold against the whole track's (how far the grid
//    wanders off the kicks section by section);
//  - the measure's cost on a 32-bar overlap.
// Analyses are cached in data/phase-measure (the ears change under this benchmark: delete it to re-analyse).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import {
  beatKicks,
  deckPhaseErrors,
  judgeKicks,
  kickReference,
  pairBeats,
  pooledPhase,
  summarizePhase,
} from '../src/audio/transition/deck-phase.ts';
import type { BeatKick, PhaseSummary } from '../src/audio/transition/deck-phase.ts';
import { readDeckFrames } from '../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../src/audio/io/mix-format.ts';
import { toMono } from '../src/audio/io/pcm.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';

const REAL = path.join(PROJECT_ROOT, '..', 'shared', 'real-music');
const WORK = path.join(PROJECT_ROOT, 'data', 'phase-measure');
const OUT = path.join(PROJECT_ROOT, 'out');
mkdirSync(WORK, { recursive: true });
mkdirSync(OUT, { recursive: true });
const BARS = 32;
const SHIFTS_MS = [10, 20, 30];

async function decodeMono(file: string, durationSec: number): Promise<Float32Array> {
  return toMono(await readDeckFrames({ file, fromSec: 0 }, Math.ceil(durationSec * MIX_RATE)), 2);
}

/** `x` from `fromSec` for `sec`, delayed by `delayMs` (zeros before). */
function cut(x: Float32Array, fromSec: number, sec: number, delayMs = 0): Float32Array {
  const n = Math.round(sec * MIX_RATE);
  const d = Math.round((delayMs / 1000) * MIX_RATE);
  const out = new Float32Array(n);
  const from = Math.round(fromSec * MIX_RATE);
  for (let i = d; i < n; i++) out[i] = x[from + i - d] ?? 0;
  return out;
}

/** Beats from `fromSec` for `sec`, in that window's time. */
const beatsIn = (beats: number[], fromSec: number, sec: number): number[] =>
  beats.filter((t) => t >= fromSec - 1e-3 && t - fromSec < sec - 0.05).map((t) => t - fromSec);

const fig = (s: PhaseSummary) => ({
  bars: s.barsCompared,
  medianAbsMs: Number(s.medianAbsMs.toFixed(2)),
  maxAbsMs: Number(s.maxAbsMs.toFixed(2)),
  offsetMs: Number(s.offsetMs.toFixed(2)),
});

function measure(mono: Float32Array, x: TrackAnalysis, ref: number) {
  const beatSec = 60 / x.bpm;
  const out = x.cues.mixOut;
  const inn = x.cues.mixIn;
  const sec = Math.min(BARS * 4 * beatSec, x.durationSec - out - 0.2, x.durationSec - inn - 0.2);
  const a = cut(mono, out, sec);
  const beatsA = beatsIn(x.beats, out, sec);
  const beatsB = beatsIn(x.beats, inn, sec);
  const run = (b: Float32Array, bb: number[]) =>
    summarizePhase(deckPhaseErrors({ a, b, rate: MIX_RATE, beatsA, beatsB: bb, kickRefA: ref, kickRefB: ref }));
  // The pooled reading (each deck's kicks over the whole overlap): what the check falls back on with too few bars.
  const pairs = pairBeats(beatsA, beatsA);
  const kicksA = beatKicks(a, MIX_RATE, beatsA);
  const pooled = (b: Float32Array): number | null => {
    const r = pooledPhase(pairs, kicksA, beatKicks(b, MIX_RATE, beatsA), ref, ref, MIX_RATE);
    return r ? Number(r.errorMs.toFixed(2)) : null;
  };
  const t0 = performance.now();
  const same = run(cut(mono, out, sec), beatsA);
  const costMs = performance.now() - t0;
  const sameShift = SHIFTS_MS.map((d) => run(cut(mono, out, sec, d), beatsA));
  const diff = run(cut(mono, inn, sec), beatsB);
  const diffShift = SHIFTS_MS.map((d) => run(cut(mono, inn, sec, d), beatsB));
  // B's beats laid on A's: the mix-in section moved so that its beats fall on A's (the grid's own distance apart).
  const onA = (d: number): Float32Array => cut(mono, inn + (beatsB[0] ?? 0) - (beatsA[0] ?? 0), sec, d);
  const pooledFigures = {
    same: pooled(cut(mono, out, sec)),
    sameShift: SHIFTS_MS.map((d) => pooled(cut(mono, out, sec, d))),
    diff: pooled(onA(0)),
    diffShift: SHIFTS_MS.map((d) => pooled(onA(d))),
  };
  return {
    pooled: pooledFigures,
    overlapBars: Number((sec / (4 * beatSec)).toFixed(1)),
    costMs,
    same: fig(same),
    sameShift: sameShift.map(fig),
    diff: fig(diff),
    diffShift: diffShift.map(fig),
  };
}

/** Every bar's kick fold against the whole track's: the grid's phase on the kicks along the track (ms; + kick late). */
function gridPhase(kicks: BeatKick[], beats: number[], ref: number, mixIn: number, mixOut: number) {
  const strong = kicks.filter((k) => k.attack && k.strength >= 0.5 * ref);
  const len = strong[0]?.attack?.length ?? 0;
  const template = new Float32Array(len);
  for (const k of strong) for (let i = 0; i < len; i++) template[i]! += k.attack![i]! / strong.length;
  const pairs = beats.map((t, i) => ({ ta: t, bar: Math.floor(i / 4) }));
  const bars = judgeKicks(
    pairs,
    kicks.map(() => ({ strength: Infinity, attack: template })),
    kicks,
    0,
    ref,
  );
  const abs = bars.map((b) => Math.abs(b.errorMs));
  const near = (t: number) =>
    bars.filter((b) => b.atSec >= t - 1e-3 && b.atSec < t + 8 * 4 * (beats[1]! - beats[0]!)).map((b) => b.errorMs);
  const med = (v: number[]) => (v.length ? Number(v.sort((p, q) => p - q)[Math.floor(v.length / 2)]!.toFixed(2)) : NaN);
  return {
    bars: bars.length,
    medianAbsMs: med(abs),
    p90AbsMs: Number((abs.sort((p, q) => p - q)[Math.floor(0.9 * (abs.length - 1))] ?? NaN).toFixed(2)),
    maxAbsMs: Number(Math.max(0, ...abs).toFixed(2)),
    atMixInMs: med(near(mixIn)),
    atMixOutMs: med(near(mixOut)),
    perBar: bars.map((b) => [Number(b.atSec.toFixed(2)), Number(b.errorMs.toFixed(1))]),
  };
}

async function analysisOf(pool: AnalyzerPool, file: string): Promise<TrackAnalysis> {
  const cache = path.join(WORK, `${path.basename(file)}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as TrackAnalysis;
  const x = await pool.analyze(file);
  writeFileSync(cache, JSON.stringify(x));
  return x;
}

const args = process.argv.slice(2);
const truth = JSON.parse(readFileSync(path.join(REAL, 'truth.json'), 'utf8')) as {
  file: string;
  reference_bpm: number;
  fold_sharpness: number;
}[];
const picked = args.filter((a) => !a.startsWith('--'));
const files = (
  picked.length ? truth.filter((t) => picked.includes(t.file)) : truth.filter((t) => t.fold_sharpness >= 10)
).map((t) => path.join(REAL, t.file));
if (args.includes('--synth')) {
  for (const [name, bpm, seed] of [
    ['synth-124-a', 124, 31],
    ['synth-124-b', 124, 47],
  ] as const) {
    const f = path.join(WORK, `${name}.wav`);
    if (!existsSync(f))
      await writeSynthTrack(f, {
        bpm,
        key: 'A',
        scale: 'minor',
        seed,
        sections: [
          { label: 'intro', bars: 32 },
          { label: 'build', bars: 8 },
          { label: 'drop', bars: 16 },
          { label: 'outro', bars: 32 },
        ],
      });
    files.unshift(f);
  }
}
const pool = new AnalyzerPool({ size: 2 });
const results: Record<string, unknown>[] = [];
try {
  // Four at a time: the pool refuses more than 8 waiting from one server.
  const analyses: TrackAnalysis[] = [];
  for (let i = 0; i < files.length; i += 4)
    analyses.push(...(await Promise.all(files.slice(i, i + 4).map((f) => analysisOf(pool, f)))));
  for (const [i, file] of files.entries()) {
    const x = analyses[i]!;
    const mono = await decodeMono(file, x.durationSec);
    const kicks = beatKicks(mono, MIX_RATE, x.beats);
    const ref = kickReference(kicks);
    const m = measure(mono, x, ref);
    const g = gridPhase(kicks, x.beats, ref, x.cues.mixIn, x.cues.mixOut);
    const name = path.basename(file);
    const shifts = (s: ReturnType<typeof fig>[]) => s.map((r) => `${r.offsetMs.toFixed(1)}`).join('/');
    console.log(
      `${name.padEnd(40)} ${x.bpm.toFixed(2)} BPM, ${m.overlapBars} bars: same ${m.same.medianAbsMs}/${m.same.maxAbsMs} (${m.same.bars} bars), +10/20/30 → ${shifts(m.sameShift)} (max err ${Math.max(...m.sameShift.map((r, k) => Math.abs(r.maxAbsMs - SHIFTS_MS[k]!))).toFixed(1)}); ` +
        `out-vs-in ${m.diff.offsetMs} med|${m.diff.medianAbsMs}| max ${m.diff.maxAbsMs} (${m.diff.bars} bars), +10/20/30 → ${shifts(m.diffShift)}; ` +
        `pooled same ${m.pooled.same} +10/20/30 → ${m.pooled.sameShift.join('/')}, out-vs-in ${m.pooled.diff} → ${m.pooled.diffShift.join('/')}; ` +
        `grid on kicks per bar |med| ${g.medianAbsMs} p90 ${g.p90AbsMs} max ${g.maxAbsMs}, at mix-in ${g.atMixInMs}, mix-out ${g.atMixOutMs}; cost ${m.costMs.toFixed(0)} ms`,
    );
    results.push({ file: name, bpm: x.bpm, mixIn: x.cues.mixIn, mixOut: x.cues.mixOut, ...m, grid: g });
  }
} finally {
  await pool.close();
}
writeFileSync(path.join(OUT, 'phase-measure.json'), JSON.stringify(results, null, 1));
