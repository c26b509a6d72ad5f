// npm run bench:analyze — accuracy and speed of the ears on synthesized tracks and on the real clips in ../shared/audio.
import { execFile } from 'node:child_process';
import FFT from 'fft.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { keyName, pitchClass } from '../src/audio/music/camelot.ts';
import { decodeForAnalysis } from '../src/audio/analysis/decode-for-analysis.ts';
import { ffmpegPath } from '../src/audio/io/ffmpeg-path.ts';
import { loadEssentia } from '../src/audio/analysis/essentia-runtime.ts';
import { detectKey, KEY_PROFILE } from '../src/audio/analysis/key-detect.ts';
import { audioLimitsFromEnv } from '../src/audio/io/limits.ts';
import { encodeWav } from '../src/audio/io/wav.ts';
import { runAubio } from '../src/eval/aubio.ts';
import {
  beatFMeasure,
  mirexKeyScore,
  tempoAccuracy1,
  tempoAccuracy2,
  truncatedAnnotationWindow,
} from '../src/eval/metrics.ts';
import { loadSharedTruth, PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { synthesizeTrack, structureForBars } from '../src/synth/track-synth.ts';
import type { SynthTruth } from '../src/synth/track-synth.ts';

const run = promisify(execFile);
const OUT_DIR = path.join(PROJECT_ROOT, 'out');
const WORK_DIR = path.join(PROJECT_ROOT, 'data', 'bench-analyze');
const CUE_TOLERANCE_SEC = 0.05;

interface OneResult {
  ok: boolean;
  analysis?: TrackAnalysis;
  error?: string;
  wallSec?: number;
  cpuSec?: number;
  /** ffmpeg's decode (the children's CPU). */
  childCpuSec?: number;
  peakRssMb: number;
}

async function analyzeInChild(file: string): Promise<OneResult> {
  const { stdout } = await run(process.execPath, [path.join(PROJECT_ROOT, 'bench/analyze-one.ts'), file], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(stdout) as OneResult;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const avg = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const near = (t: number, list: number[]): boolean => list.some((x) => Math.abs(x - t) <= CUE_TOLERANCE_SEC);

function synthPlan(): { bpm: number; key: string; scale: 'major' | 'minor'; seed: number }[] {
  // 24 tracks: tempi spread over 80–175 BPM, every major and minor key once, tempo and key order decorrelated.
  return Array.from({ length: 24 }, (_, i) => ({
    bpm: Number((80 + (95 * ((i * 7) % 24)) / 23).toFixed(2)),
    key: keyName(i % 12),
    scale: i < 12 ? ('major' as const) : ('minor' as const),
    seed: 1000 + i,
  }));
}

async function benchSynth(): Promise<Record<string, number>> {
  mkdirSync(WORK_DIR, { recursive: true });
  const rows: string[] = [];
  const m = {
    acc1: [] as number[],
    acc2: [] as number[],
    keyExact: [] as number[],
    mirex: [] as number[],
    beatF: [] as number[],
    downbeatF: [] as number[],
    cuesOnPhrase: [] as number[],
    speed: [] as number[],
    rss: [] as number[],
  };
  for (const plan of synthPlan()) {
    const bars = 64 + 8 * (plan.seed % 5);
    const track = synthesizeTrack({ ...plan, sections: structureForBars(bars) });
    const file = path.join(WORK_DIR, `synth-${plan.bpm}-${plan.key}${plan.scale === 'minor' ? 'm' : ''}.wav`);
    writeFileSync(file, encodeWav([track.left, track.right], track.sampleRate, 'pcm16'));
    const truth: SynthTruth = track.truth;
    const r = await analyzeInChild(file);
    if (!r.ok || !r.analysis) {
      rows.push(`${path.basename(file)}: FAILED ${r.error}`);
      continue;
    }
    const a = r.analysis;
    const acc1 = tempoAccuracy1(a.bpm, truth.bpm);
    const keyOk = a.key === truth.key && a.scale === truth.scale;
    const beatF = beatFMeasure(a.beats, truth.beats).f;
    const downF = beatFMeasure(a.downbeats, truth.downbeats).f;
    const cuesOk = near(a.cues.mixIn, truth.phraseBoundaries) && near(a.cues.mixOut, truth.phraseBoundaries);
    m.acc1.push(acc1 ? 1 : 0);
    m.acc2.push(tempoAccuracy2(a.bpm, truth.bpm) ? 1 : 0);
    m.keyExact.push(keyOk ? 1 : 0);
    m.mirex.push(mirexKeyScore(a.key, a.scale, truth.key, truth.scale));
    m.beatF.push(beatF);
    m.downbeatF.push(downF);
    m.cuesOnPhrase.push(cuesOk ? 1 : 0);
    m.speed.push(a.durationSec / r.wallSec!);
    m.rss.push(r.peakRssMb);
    rows.push(
      `${path.basename(file).padEnd(28)} ${truth.bpm.toFixed(1).padStart(6)} → ${a.bpm.toFixed(2).padStart(7)} ${acc1 ? ' ' : '✗'}  ` +
        `${(truth.key + (truth.scale === 'minor' ? 'm' : '')).padEnd(3)} → ${(a.key + (a.scale === 'minor' ? 'm' : '')).padEnd(3)} ${keyOk ? ' ' : '✗'}  ` +
        `beatF ${beatF.toFixed(3)}  downF ${downF.toFixed(3)}  cues ${cuesOk ? 'on phrase' : 'OFF'}  ` +
        `${a.segments.map((s) => `${s.label[0]}${s.endBar - s.startBar}`).join(' ')}  ${(a.durationSec / r.wallSec!).toFixed(1)}× ${r.peakRssMb.toFixed(0)} MB`,
    );
  }
  console.log('\n## Synthesized set (24 tracks, 80–175 BPM, all 24 keys)\n');
  console.log(rows.join('\n'));
  const summary = {
    tempoAccuracy1: avg(m.acc1),
    tempoAccuracy2: avg(m.acc2),
    keyExact: avg(m.keyExact),
    keyMirex: avg(m.mirex),
    beatF: avg(m.beatF),
    downbeatF: avg(m.downbeatF),
    cuesOnPhrase: avg(m.cuesOnPhrase),
    speedX: avg(m.speed),
    peakRssMb: Math.max(...m.rss),
  };
  console.log(
    `\nsynth: tempo Acc1 ${pct(summary.tempoAccuracy1)}, Acc2 ${pct(summary.tempoAccuracy2)}; key exact ${pct(summary.keyExact)}, MIREX ${summary.keyMirex.toFixed(3)}; ` +
      `beat F ${summary.beatF.toFixed(3)}; downbeat F ${summary.downbeatF.toFixed(3)}; cues on phrase boundaries ${pct(summary.cuesOnPhrase)}; ` +
      `speed ${summary.speedX.toFixed(1)}× real time; peak RSS ${summary.peakRssMb.toFixed(0)} MB`,
  );
  return summary;
}

async function benchReal(): Promise<Record<string, number> | undefined> {
  const truth = await loadSharedTruth();
  if (!truth) {
    console.log('\n(real clips skipped: ../shared/audio not found; set MINIDJ_SHARED_AUDIO)');
    return undefined;
  }
  console.log(`\n## Real clips (${truth.entries.length} from ${truth.dir})\n`);
  console.log(
    'clip                                   dur   truth  | mini-dj  A1 A2 beatF  downF | aubio   A1 A2 beatF | key',
  );
  const long = { ours: [] as number[], aubio: [] as number[], ours1: [] as number[], aubio1: [] as number[] };
  const all = {
    acc2: [] as number[],
    beatF: [] as number[],
    aubioBeatF: [] as number[],
    downF: [] as number[],
    key: [] as number[],
  };
  for (const e of truth.entries) {
    const r = await analyzeInChild(e.file);
    const aub = await runAubio(e.file).catch(() => undefined);
    const name = e.id.split('/').pop()!.slice(0, 36).padEnd(36);
    if (!r.ok || !r.analysis) {
      console.log(`${name} ${e.durationSec.toFixed(1).padStart(5)}  error: ${r.error}`);
      continue;
    }
    const a = r.analysis;
    const window = e.beatsComplete || !e.beats ? {} : truncatedAnnotationWindow(e.beats);
    const refs = e.bpm ? [e.bpm, ...e.bpmAlternatives.map((x) => x.bpm)] : [];
    const a1 = refs.length ? refs.some((b) => tempoAccuracy1(a.bpm, b)) : undefined;
    const a2 = e.bpm ? tempoAccuracy2(a.bpm, e.bpm) : undefined;
    const aubBpm = aub?.medianIbiBpm ?? aub?.bpm;
    const u1 = aubBpm && refs.length ? refs.some((b) => tempoAccuracy1(aubBpm, b)) : undefined;
    const u2 = aubBpm && e.bpm ? tempoAccuracy2(aubBpm, e.bpm) : undefined;
    const beatF = e.beats ? beatFMeasure(a.beats, e.beats, 0.07, window).f : undefined;
    const aubBeatF = e.beats && aub ? beatFMeasure(aub.beats, e.beats, 0.07, window).f : undefined;
    const downF =
      e.downbeats && e.downbeats.length > 1 ? beatFMeasure(a.downbeats, e.downbeats, 0.07, window).f : undefined;
    const keyScore = e.key && e.scale ? mirexKeyScore(a.key, a.scale, e.key, e.scale) : undefined;
    const mark = (x: boolean | undefined): string => (x === undefined ? ' -' : x ? ' ✓' : ' ✗');
    const num = (x: number | undefined): string => (x === undefined ? '   -  ' : x.toFixed(3).padStart(6));
    console.log(
      `${name} ${e.durationSec.toFixed(1).padStart(5)} ${e.bpm ? e.bpm.toFixed(1).padStart(6) : '    - '}  | ${a.bpm.toFixed(1).padStart(6)} ${mark(a1)}${mark(a2)} ${num(beatF)} ${num(downF)} | ` +
        `${aubBpm ? aubBpm.toFixed(1).padStart(6) : '  n/a '} ${mark(u1)}${mark(u2)} ${num(aubBeatF)} | ${e.key ? `${e.key} ${e.scale} → ${a.key} ${a.scale} (${keyScore})` : ''}`,
    );
    if (e.bpm && e.durationSec >= 20) {
      long.ours.push(a2 ? 1 : 0);
      long.ours1.push(a1 ? 1 : 0);
      if (aubBpm !== undefined) {
        long.aubio.push(u2 ? 1 : 0);
        long.aubio1.push(u1 ? 1 : 0);
      }
    }
    if (a2 !== undefined) all.acc2.push(a2 ? 1 : 0);
    if (beatF !== undefined) all.beatF.push(beatF);
    if (aubBeatF !== undefined) all.aubioBeatF.push(aubBeatF);
    if (downF !== undefined) all.downF.push(downF);
    if (keyScore !== undefined) all.key.push(keyScore);
  }
  const summary = {
    longClips: long.ours.length,
    longAcc2: avg(long.ours),
    longAcc1: avg(long.ours1),
    aubioLongAcc2: avg(long.aubio),
    aubioLongAcc1: avg(long.aubio1),
    allAcc2: avg(all.acc2),
    beatF: avg(all.beatF),
    aubioBeatF: avg(all.aubioBeatF),
    downbeatF: avg(all.downF),
    keyMirex: avg(all.key),
  };
  console.log(
    `\nreal clips ≥ 20 s (${summary.longClips}): tempo Acc2 mini-dj ${pct(summary.longAcc2)} vs aubio ${Number.isNaN(summary.aubioLongAcc2) ? 'n/a (aubio-tools not installed)' : pct(summary.aubioLongAcc2)}; ` +
      `Acc1 ${pct(summary.longAcc1)} vs ${Number.isNaN(summary.aubioLongAcc1) ? 'n/a' : pct(summary.aubioLongAcc1)}`,
  );
  console.log(
    `all clips: Acc2 ${pct(summary.allAcc2)}; beat F ${summary.beatF.toFixed(3)} (aubio ${summary.aubioBeatF.toFixed(3)}); downbeat F ${summary.downbeatF.toFixed(3)}; key MIREX ${summary.keyMirex.toFixed(3)} (short clips: smoke tests)`,
  );
  return summary;
}

async function benchLongFile(minutes: number): Promise<Record<string, number>> {
  const bpm = 126;
  const bars = Math.floor((minutes * 60 * bpm) / 240 / 8) * 8;
  const track = synthesizeTrack({ bpm, key: 'F', scale: 'minor', seed: 77, sections: structureForBars(bars) });
  // As a user would upload it: an MP3 (a 20-minute WAV would be over the 100 MB upload limit).
  mkdirSync(WORK_DIR, { recursive: true });
  const wav = path.join(WORK_DIR, `long-${minutes}min.wav`);
  const file = wav.replace(/\.wav$/, '.mp3');
  writeFileSync(wav, encodeWav([track.left, track.right], track.sampleRate, 'pcm16'));
  await run(ffmpegPath(), ['-v', 'error', '-y', '-i', wav, '-c:a', 'libmp3lame', '-b:a', '256k', file]);
  rmSync(wav);
  const r = await analyzeInChild(file);
  const seconds = track.left.length / track.sampleRate;
  console.log(
    `${minutes}-minute track (${seconds.toFixed(0)} s): ${r.ok ? `analysed in ${r.wallSec!.toFixed(2)} s wall, ${r.cpuSec!.toFixed(2)} s CPU of this thread + ${(r.childCpuSec ?? 0).toFixed(2)} s of ffmpeg (${(seconds / r.wallSec!).toFixed(1)}× real time)` : `FAILED ${r.error}`}, peak RSS ${r.peakRssMb.toFixed(0)} MB`,
  );
  return {
    seconds,
    wallSec: r.wallSec ?? NaN,
    cpuSec: r.cpuSec ?? NaN,
    childCpuSec: r.childCpuSec ?? NaN,
    speedX: seconds / (r.wallSec ?? NaN),
    peakRssMb: r.peakRssMb,
  };
}

const KEY_PROFILES = ['shaath', 'edma', 'bgate', 'krumhansl', 'temperley', 'edmm', 'tonictriad'];

/** The key profile is a measured choice: every candidate on the synthesized set and the real clips with a key. */
async function benchKeyProfiles(): Promise<Record<string, { synth: number; real: number }>> {
  const essentia = loadEssentia();
  const score: Record<string, { synth: number; real: number }> = Object.fromEntries(
    KEY_PROFILES.map((p) => [p, { synth: 0, real: 0 }]),
  );
  const judge = (mono: Float32Array, key: string, scale: 'major' | 'minor', into: 'synth' | 'real'): void => {
    const signal = essentia.arrayToVector(mono);
    try {
      for (const profile of KEY_PROFILES) {
        const k = detectKey(essentia, signal, 44100, profile);
        if (pitchClass(k.key) === pitchClass(key) && k.scale === scale) score[profile]![into]++;
      }
    } finally {
      signal.delete();
    }
  };
  const plan = synthPlan();
  for (const p of plan) {
    const t = synthesizeTrack({ ...p, sections: structureForBars(64 + 8 * (p.seed % 5)) });
    const mono = new Float32Array(t.left.length);
    for (let i = 0; i < mono.length; i++) mono[i] = 0.5 * (t.left[i]! + t.right[i]!);
    judge(mono, p.key, p.scale, 'synth');
  }
  const truth = await loadSharedTruth();
  const keyed = truth?.entries.filter((e) => e.key && e.scale) ?? [];
  for (const e of keyed) judge((await decodeForAnalysis(e.file, audioLimitsFromEnv())).mono, e.key!, e.scale!, 'real');
  console.log(`\n## Key profiles (exact key and scale; synthesized ${plan.length}, real ${keyed.length})\n`);
  for (const p of KEY_PROFILES)
    console.log(
      `${p.padEnd(11)} synth ${score[p]!.synth}/${plan.length}  real ${score[p]!.real}/${keyed.length}${p === KEY_PROFILE ? '  ← used' : ''}`,
    );
  return score;
}

/** The in-place radix-2 complex FFT the spectral frames used before fft.js (kept here only to compare against). */
function radix2(re: Float64Array, im: Float64Array, cos: Float64Array, sin: Float64Array, rev: Uint32Array): void {
  const n = re.length;
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let start = 0; start < n; start += len) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!,
          wi = sin[k * step]!,
          a = start + k,
          b = a + half;
        const xr = re[b]! * wr - im[b]! * wi,
          xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a]! += xr;
        im[a]! += xi;
      }
    }
  }
}

/** µs per 2048-point transform of a real frame: fft.js's real transform (used) against the radix-2 one, in one run. */
function benchFft(): Record<string, number> {
  const n = 2048;
  const reps = 3000;
  const frame = new Float64Array(n).map((_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.91));
  const cos = new Float64Array(n / 2).map((_, i) => Math.cos((2 * Math.PI * i) / n));
  const sin = new Float64Array(n / 2).map((_, i) => -Math.sin((2 * Math.PI * i) / n));
  const bits = Math.log2(n);
  const rev = new Uint32Array(n).map((_, i) => {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    return r;
  });
  const re = new Float64Array(n),
    im = new Float64Array(n);
  const fft = new FFT(n);
  const out = new Float64Array(2 * n);
  const times = { radix2: [] as number[], fftJs: [] as number[] };
  for (let round = 0; round < 7; round++) {
    let t = performance.now();
    for (let r = 0; r < reps; r++) {
      re.set(frame);
      im.fill(0);
      radix2(re, im, cos, sin, rev);
    }
    times.radix2.push(((performance.now() - t) * 1000) / reps);
    t = performance.now();
    for (let r = 0; r < reps; r++) fft.realTransform(out as unknown as number[], frame as unknown as number[]);
    times.fftJs.push(((performance.now() - t) * 1000) / reps);
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const r = {
    radix2MinUs: Math.min(...times.radix2),
    radix2MedianUs: med(times.radix2),
    fftJsMinUs: Math.min(...times.fftJs),
    fftJsMedianUs: med(times.fftJs),
  };
  console.log(
    `2048-point FFT of a real frame: fft.js ${r.fftJsMinUs.toFixed(1)} µs (median ${r.fftJsMedianUs.toFixed(1)}), radix-2 complex ${r.radix2MinUs.toFixed(1)} µs (median ${r.radix2MedianUs.toFixed(1)}), 7 rounds of ${reps}`,
  );
  return r;
}

const only = process.argv[2];
const report: Record<string, unknown> = {};
console.log('# Mini-DJ analysis benchmark');
if (!only || only === 'speed') {
  console.log('\n## Speed and memory (one file per child process, analysis on one thread)\n');
  report.fft = benchFft();
  report.fourMinutes = await benchLongFile(4);
  report.twentyMinutes = await benchLongFile(20);
}
if (!only || only === 'synth') report.synth = await benchSynth();
if (!only || only === 'real') report.real = await benchReal();
if (!only || only === 'keys') report.keyProfiles = await benchKeyProfiles();
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(path.join(OUT_DIR, 'bench-analyze.json'), JSON.stringify(report, null, 2));
console.log(`\nwritten: out/bench-analyze.json`);
