// npm run bench:real — the ears on released tracks (../shared/real-music): tempo against the whole-track reference,
// beat-matchability next to the live clips of ../shared/audio, and analysis speed on one core. Each section returns
// its figures into out/bench-real.json; add a section by appending to SECTIONS.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { ffmpegPath } from '../src/audio/io/ffmpeg-path.ts';
import { MAX_BLEND_JITTER_MS } from '../src/audio/transition/transition-plan.ts';
import { loadSharedTruth, PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { realBarsSection } from './real-bars.ts';
import { realSetSection } from './real-set.ts';

const run = promisify(execFile);
const OUT_DIR = path.join(PROJECT_ROOT, 'out');
const REAL_DIR = process.env.MINIDJ_REAL_MUSIC
  ? path.resolve(process.env.MINIDJ_REAL_MUSIC)
  : path.resolve(PROJECT_ROOT, '../shared/real-music');
/** The planner's other gate (transition-plan.ts): a grid below this confidence is never beat-matched. */
const MIN_GRID_CONFIDENCE = 0.75;
const TEMPO_TOLERANCE = 0.0002;
/** The speed target is set for a 4-minute track; the longest real one is looped to this length. */
const SPEED_TRACK_SEC = 240;
const SPEED_RUNS = Number(process.env.BENCH_REAL_SPEED_RUNS ?? 5);
/** Metrical levels the truth README accepts. */
const LEVELS = [1, 2, 0.5, 1.5, 2 / 3];
/** Live recordings among the shared clips (the techno loop is programmed; the rest are too short or have no beat). */
const LIVE_CLIPS = [
  'Media-105901.wav',
  'country.00000.wav',
  'hains001.flac',
  'simac_01_H_mikri_Rallou.flac',
  'cuidado_FallaCancion.flac',
  'M4-01-SA.wav',
  'barronk-allgodschildren-drummondrrileyb-1990-8b77c067.wav',
];

interface OneResult {
  ok: boolean;
  analysis?: TrackAnalysis;
  error?: string;
  wallSec?: number;
  decodeSec?: number;
  cpuSec?: number;
  /** ffmpeg's decode (the children's CPU). */
  childCpuSec?: number;
  peakRssMb: number;
}

interface RealTruth {
  file: string;
  duration_s: number;
  reference_bpm: number;
  fold_sharpness: number;
}

async function analyzeInChild(file: string, oneCore = false): Promise<OneResult> {
  const args = [path.join(PROJECT_ROOT, 'bench/analyze-one.ts'), file];
  const pinned = oneCore && existsSync('/usr/bin/taskset');
  const { stdout } = await run(
    pinned ? '/usr/bin/taskset' : process.execPath,
    pinned ? ['-c', '0', process.execPath, ...args] : args,
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as OneResult;
}

const matchable = (a: TrackAnalysis): boolean =>
  a.bpmConfidence >= MIN_GRID_CONFIDENCE && a.beatJitterMs <= MAX_BLEND_JITTER_MS;
const tempoError = (bpm: number, ref: number): number => Math.min(...LEVELS.map((k) => Math.abs(bpm / (ref * k) - 1)));
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const spread = (xs: number[]): string =>
  `min ${quantile(xs, 0).toFixed(2)}, median ${quantile(xs, 0.5).toFixed(2)}, p90 ${quantile(xs, 0.9).toFixed(2)}, max ${quantile(xs, 1).toFixed(2)}`;

interface Context {
  truth: RealTruth[];
  real: Map<string, TrackAnalysis>;
}

type Section = (ctx: Context) => Promise<Record<string, unknown>>;

async function tempoSection(ctx: Context): Promise<Record<string, unknown>> {
  console.log(
    `\n## Released tracks (${ctx.truth.length} from ${REAL_DIR}): tempo against reference_bpm, matchability\n`,
  );
  console.log('track                                 fold   ref BPM →   ours     error    conf  jitter  matchable');
  const rows = [];
  for (const t of ctx.truth) {
    const r = await analyzeInChild(path.join(REAL_DIR, t.file));
    if (!r.ok || !r.analysis) {
      console.log(`${t.file.padEnd(36)} error: ${r.error}`);
      continue;
    }
    const a = r.analysis;
    ctx.real.set(t.file, a);
    const err = tempoError(a.bpm, t.reference_bpm);
    rows.push({
      file: t.file,
      foldSharpness: t.fold_sharpness,
      referenceBpm: t.reference_bpm,
      bpm: a.bpm,
      errorPct: 100 * err,
      confidence: a.bpmConfidence,
      beatJitterMs: a.beatJitterMs,
      matchable: matchable(a),
      wallSec: r.wallSec,
    });
    console.log(
      `${t.file.slice(0, 36).padEnd(36)} ${t.fold_sharpness.toFixed(1).padStart(5)} ${t.reference_bpm.toFixed(3).padStart(9)} → ${a.bpm.toFixed(2).padStart(7)} ${(100 * err).toFixed(4).padStart(8)} % ${err <= TEMPO_TOLERANCE ? ' ' : '✗'} ${a.bpmConfidence.toFixed(3)} ${a.beatJitterMs.toFixed(2).padStart(6)}  ${matchable(a) ? 'yes' : 'no'}`,
    );
  }
  const steady = rows.filter((r) => r.foldSharpness >= 10);
  const summary = {
    tracks: rows.length,
    tempoWithin002: rows.filter((r) => r.errorPct <= 100 * TEMPO_TOLERANCE).length,
    steadyTracks: steady.length,
    steadyTempoWithin002: steady.filter((r) => r.errorPct <= 100 * TEMPO_TOLERANCE).length,
    steadyMatchable: steady.filter((r) => r.matchable).length,
  };
  console.log(
    `\nall: tempo within 0.02 % on ${summary.tempoWithin002} of ${summary.tracks}; fold_sharpness ≥ 10: tempo within 0.02 % on ${summary.steadyTempoWithin002} of ${summary.steadyTracks}, ` +
      `beat-matchable ${summary.steadyMatchable} of ${summary.steadyTracks} (${((100 * summary.steadyMatchable) / Math.max(1, summary.steadyTracks)).toFixed(1)} %)`,
  );
  return { summary, rows };
}

async function matchabilitySection(ctx: Context): Promise<Record<string, unknown>> {
  const shared = await loadSharedTruth();
  const live = [];
  for (const e of shared?.entries ?? []) {
    if (!LIVE_CLIPS.some((n) => e.id.endsWith(n))) continue;
    const r = await analyzeInChild(e.file);
    if (r.ok && r.analysis)
      live.push({
        clip: path.basename(e.id),
        confidence: r.analysis.bpmConfidence,
        beatJitterMs: r.analysis.beatJitterMs,
        matchable: matchable(r.analysis),
      });
  }
  const steadyReal = ctx.truth
    .filter((t) => t.fold_sharpness >= 10)
    .map((t) => ctx.real.get(t.file))
    .filter((a) => a !== undefined);
  const realJitter = steadyReal.map((a) => a.beatJitterMs);
  const liveJitter = live.map((l) => l.beatJitterMs);
  console.log(
    `\n## Beat-matchability (gate: confidence ≥ ${MIN_GRID_CONFIDENCE}, beatJitterMs ≤ ${MAX_BLEND_JITTER_MS})\n`,
  );
  console.log(
    `released tracks (fold ≥ 10, ${realJitter.length}): beatJitterMs ${spread(realJitter)}; matchable ${steadyReal.filter(matchable).length}`,
  );
  console.log(
    `live clips (${live.length}):               beatJitterMs ${spread(liveJitter)}; matchable ${live.filter((l) => l.matchable).length}`,
  );
  console.log('\nlive clip                                          conf  jitter  matchable');
  for (const l of live)
    console.log(
      `${l.clip.slice(0, 50).padEnd(50)} ${l.confidence.toFixed(3)} ${l.beatJitterMs.toFixed(2).padStart(6)}  ${l.matchable ? 'yes' : 'no'}`,
    );
  return { realJitterMs: realJitter, live, liveMatchable: live.filter((l) => l.matchable).length };
}

/** A real track looped with ffmpeg to at least 4 minutes (the figure the target is set for), in a temp folder. */
async function fourMinuteTrack(t: RealTruth): Promise<{ file: string; durationSec: number; cleanup: () => void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minidj-real-'));
  const file = path.join(dir, `${path.parse(t.file).name}-4min.ogg`);
  const loops = Math.max(0, Math.ceil(SPEED_TRACK_SEC / t.duration_s) - 1);
  await run(ffmpegPath(), [
    '-v',
    'error',
    '-y',
    '-stream_loop',
    String(loops),
    '-i',
    path.join(REAL_DIR, t.file),
    '-t',
    String(SPEED_TRACK_SEC),
    '-c:a',
    'libvorbis',
    '-q:a',
    '5',
    file,
  ]);
  return { file, durationSec: SPEED_TRACK_SEC, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function speedSection(ctx: Context): Promise<Record<string, unknown>> {
  const longest = [...ctx.truth].sort((a, b) => b.duration_s - a.duration_s)[0];
  if (!longest) return {};
  const track = await fourMinuteTrack(longest);
  const runs: OneResult[] = [];
  try {
    for (let i = 0; i < SPEED_RUNS; i++) runs.push(await analyzeInChild(track.file, true));
  } finally {
    track.cleanup();
  }
  const walls = runs.map((r) => r.wallSec ?? NaN);
  const cpus = runs.map((r) => r.cpuSec ?? NaN);
  // All the work one core has to do: this thread and ffmpeg. On a shared machine the wall time is this over the share of
  // the core the analysis got.
  const totalCpus = runs.map((r) => (r.cpuSec ?? NaN) + (r.childCpuSec ?? 0));
  const peak = Math.max(...runs.map((r) => r.peakRssMb));
  console.log(
    `\n## Speed on one core (taskset -c 0): ${longest.file} looped to ${SPEED_TRACK_SEC} s, ${SPEED_RUNS} runs, machine shared (load ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)\n`,
  );
  console.log(
    `wall min ${Math.min(...walls).toFixed(2)} s, median ${quantile(walls, 0.5).toFixed(2)} s; CPU (Node + ffmpeg) min ${Math.min(...totalCpus).toFixed(2)} s, median ${quantile(totalCpus, 0.5).toFixed(2)} s (Node alone min ${Math.min(...cpus).toFixed(2)} s); peak RSS ${peak.toFixed(0)} MB`,
  );
  return {
    file: longest.file,
    durationSec: track.durationSec,
    wallSec: walls,
    cpuSec: cpus,
    totalCpuSec: totalCpus,
    decodeSec: runs.map((r) => r.decodeSec),
    peakRssMb: peak,
    wallMinSec: Math.min(...walls),
    wallMedianSec: quantile(walls, 0.5),
    totalCpuMinSec: Math.min(...totalCpus),
    totalCpuMedianSec: quantile(totalCpus, 0.5),
    loadAverage: os.loadavg()[0],
  };
}

const SECTIONS: [string, Section][] = [
  ['tempo', tempoSection],
  ['matchability', matchabilitySection],
  ['speed', speedSection],
  ['set', (ctx) => realSetSection(ctx.truth, REAL_DIR)],
  [
    'bars',
    (ctx) =>
      realBarsSection(
        REAL_DIR,
        ctx.truth.map((t) => t.file),
      ),
  ],
];
// `npm run bench:real -- set` runs only the sections named (their figures replace those in out/bench-real.json).
const only = process.argv.slice(2).filter((x) => !x.startsWith('-'));

if (!existsSync(path.join(REAL_DIR, 'truth.json'))) {
  console.log(`(skipped: ${REAL_DIR} not found; set MINIDJ_REAL_MUSIC)`);
  process.exit(0);
}
const ctx: Context = {
  truth: JSON.parse(readFileSync(path.join(REAL_DIR, 'truth.json'), 'utf8')) as RealTruth[],
  real: new Map(),
};
console.log('# Mini-DJ: the ears on released tracks');
const outFile = path.join(OUT_DIR, 'bench-real.json');
const out: Record<string, unknown> =
  only.length && existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, unknown>) : {};
for (const [name, section] of SECTIONS) if (!only.length || only.includes(name)) out[name] = await section(ctx);
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(outFile, JSON.stringify(out, null, 1));
console.log(`\nwritten ${path.join(OUT_DIR, 'bench-real.json')}`);
