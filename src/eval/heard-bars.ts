import FFT from 'fft.js';
import { readDeckFrames } from '../audio/io/deck-reader.ts';
import { MIX_RATE } from '../audio/io/mix-format.ts';
import { toMono } from '../audio/io/pcm.ts';
import type { TransitionReport } from '../audio/set/set-report.ts';
import { setTimeOfTrack } from '../audio/set/set-timeline.ts';
import type { PlannedTrack } from '../audio/transition/transition-plan.ts';

const N = 2048;
const HOP = 1024;
const HOP_SEC = HOP / MIX_RATE;
/** Spectral peaks are looked for from 40 Hz (a kick's, a bass line's) to 5 kHz. */
const LOW_BIN = Math.ceil((40 * N) / MIX_RATE);
const HIGH_BIN = Math.floor((5000 * N) / MIX_RATE);
/** A peak is the loudest point of its neighbourhood: ±3 frames (64 ms) by ±3 bins (70 Hz). */
const PEAK_FRAMES = 3;
const PEAK_BINS = 3;
const PEAKS_PER_FRAME = 20;
/** Peaks this far below the frame's loudest are noise. */
const PEAK_FLOOR_DB = 40;
/** Each peak is paired with the next few peaks up to half a second later, within ±32 bins (750 Hz): a landmark. */
const FANOUT = 4;
const MAX_DT = 24;
const MAX_DK = 32;
/** A landmark found in the set within ±1 bin, ±1 frame of its span and ±2 frames of where the set's timeline puts it. */
const TOLERANCE_FRAMES = 2;
/** Bars with fewer landmarks than this (silence, a held tone) are not judged. */
const MIN_LANDMARKS = 8;

interface Landmark {
  frame: number;
  key: number;
}

const keyOf = (k1: number, dk: number, dt: number): number => (k1 * 256 + dk + MAX_DK) * 64 + dt;

function spectrogramDb(mono: Float32Array): Float32Array[] {
  const fft = new FFT(N);
  const window = Float64Array.from({ length: N }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
  const frame = new Float64Array(N);
  const spectrum = new Float64Array(2 * N);
  const out: Float32Array[] = [];
  for (let s = 0; s + N <= mono.length; s += HOP) {
    for (let i = 0; i < N; i++) frame[i] = mono[s + i]! * window[i]!;
    fft.realTransform(spectrum as unknown as number[], frame as unknown as number[]);
    const db = new Float32Array(HIGH_BIN + 1);
    for (let k = LOW_BIN; k <= HIGH_BIN; k++)
      db[k] = 10 * Math.log10(spectrum[2 * k]! ** 2 + spectrum[2 * k + 1]! ** 2 + 1e-12);
    out.push(db);
  }
  return out;
}

/** The running maximum of `values` over ±`radius` (a separable rectangle's one side). */
function runningMax(values: (i: number) => number, length: number, radius: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    let m = -Infinity;
    for (let j = Math.max(0, i - radius); j <= Math.min(length - 1, i + radius); j++) m = Math.max(m, values(j));
    out[i] = m;
  }
  return out;
}

/** Each frame's strongest local maxima of the spectrogram (bin indices). */
function peaks(spec: Float32Array[]): number[][] {
  const bins = HIGH_BIN + 1;
  const byFreq = spec.map((f) => runningMax((k) => (k >= LOW_BIN ? f[k]! : -Infinity), bins, PEAK_BINS));
  return spec.map((f, t) => {
    const top = Math.max(...f.subarray(LOW_BIN));
    const found: { k: number; db: number }[] = [];
    for (let k = LOW_BIN; k <= HIGH_BIN; k++) {
      if (f[k]! < top - PEAK_FLOOR_DB || f[k]! < byFreq[t]![k]!) continue;
      let isMax = true;
      for (let u = Math.max(0, t - PEAK_FRAMES); u <= Math.min(spec.length - 1, t + PEAK_FRAMES) && isMax; u++)
        isMax = byFreq[u]![k]! <= f[k]!;
      if (isMax) found.push({ k, db: f[k]! });
    }
    return found
      .sort((a, b) => b.db - a.db)
      .slice(0, PEAKS_PER_FRAME)
      .map((p) => p.k);
  });
}

/** Pairs of spectral peaks (an audio fingerprint's landmarks), by their first peak's frame. */
function landmarks(mono: Float32Array): Landmark[] {
  const byFrame = peaks(spectrogramDb(mono));
  const out: Landmark[] = [];
  byFrame.forEach((ks, t) => {
    for (const k1 of ks) {
      let paired = 0;
      for (let dt = 1; dt <= MAX_DT && paired < FANOUT && t + dt < byFrame.length; dt++) {
        for (const k2 of byFrame[t + dt]!) {
          if (Math.abs(k2 - k1) > MAX_DK || paired >= FANOUT) continue;
          out.push({ frame: t, key: keyOf(k1, k2 - k1, dt) });
          paired++;
        }
      }
    }
  });
  return out;
}

/** The set's landmarks, by key: the frames each occurs at, ascending (landmarks come frame by frame). */
function indexOf(marks: readonly Landmark[]): Map<number, number[]> {
  const index = new Map<number, number[]>();
  for (const m of marks) {
    const list = index.get(m.key);
    if (list) list.push(m.frame);
    else index.set(m.key, [m.frame]);
  }
  return index;
}

/** Whether `frames` (ascending) holds one within TOLERANCE_FRAMES of `frame`. */
function near(frames: readonly number[], frame: number): boolean {
  let lo = 0;
  let hi = frames.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid]! < frame - TOLERANCE_FRAMES) lo = mid + 1;
    else hi = mid;
  }
  return lo < frames.length && frames[lo]! <= frame + TOLERANCE_FRAMES;
}

function foundNear(index: Map<number, number[]>, key: number, frame: number): boolean {
  for (const d1 of [-1, 0, 1]) {
    for (const d2 of [-1, 0, 1]) {
      for (const d3 of [-1, 0, 1]) {
        const frames = index.get(key + (d1 * 256 + d2) * 64 + d3);
        if (frames && near(frames, frame)) return true;
      }
    }
  }
  return false;
}

/** How much of each bar of one track the rendered set holds. */
export interface HeardBars {
  title: string;
  /** Per bar of the track: the share of its landmarks found in the set where the timeline puts them; null when the bar has too few to judge. */
  bars: (number | null)[];
}

/**
 * Which bars of each track are in a rendered set, measured on its audio: each source's landmarks (pairs of spectral
 * peaks, as audio fingerprinting uses; they survive mixing, EQ, a time-stretch of a few percent and lossy coding) are
 * looked for in the set at the time the set's timeline puts that moment of the track. A bar that was played shows a
 * good share of its landmarks; one that was not (cut by the DJ, or never reached) next to none, even where another
 * track plays in time with it.
 */
export async function heardBars(
  setStereo: Float32Array,
  tracks: PlannedTrack[],
  transitions: TransitionReport[],
): Promise<HeardBars[]> {
  const index = indexOf(landmarks(toMono(setStereo, 2)));
  const out: HeardBars[] = [];
  for (const [k, track] of tracks.entries()) {
    const source = toMono(
      await readDeckFrames({ file: track.file, fromSec: 0, gain: 1 }, Math.ceil(track.analysis.durationSec * MIX_RATE)),
      2,
    );
    const toSet = setTimeOfTrack(k, transitions, tracks);
    const edges = [...track.analysis.downbeats, track.analysis.durationSec];
    const hits = edges.slice(0, -1).map(() => ({ found: 0, all: 0 }));
    for (const m of landmarks(source)) {
      const sec = m.frame * HOP_SEC;
      const bar = edges.findLastIndex((e, i) => i < hits.length && e <= sec);
      if (bar < 0) continue;
      hits[bar]!.all++;
      if (foundNear(index, m.key, Math.round(toSet(sec) / HOP_SEC))) hits[bar]!.found++;
    }
    out.push({ title: track.title, bars: hits.map((h) => (h.all >= MIN_LANDMARKS ? h.found / h.all : null)) });
  }
  return out;
}
