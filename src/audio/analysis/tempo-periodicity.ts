import type { SpectralFrames } from './spectral-frames.ts';

/** Centre and width (octaves) of the log-Gaussian tempo prior (Ellis 2007; librosa's default). */
const PRIOR_CENTRE_BPM = 120;
const PRIOR_OCTAVES = 1;
const WINDOW_SEC = 8;
const HOP_SEC = 1;
const MIN_BPM = 40;
const MAX_BPM = 240;

/** Onset strength of one band with its local mean (0.3 s) removed, half-wave rectified, unit variance. */
function bandNovelty(flux: Float32Array, fps: number): Float64Array {
  const n = flux.length;
  const w = Math.max(1, Math.round(0.3 * fps));
  const out = new Float64Array(n);
  let sum = 0;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + flux[i]!;
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - (w >> 1));
    const hi = Math.min(n, i + (w >> 1) + 1);
    out[i] = Math.max(0, flux[i]! - (prefix[hi]! - prefix[lo]!) / (hi - lo));
    sum += out[i]!;
  }
  const m = sum / Math.max(1, n);
  let v = 0;
  for (let i = 0; i < n; i++) v += (out[i]! - m) ** 2;
  const sd = Math.sqrt(v / Math.max(1, n)) || 1;
  for (let i = 0; i < n; i++) out[i]! /= sd;
  return out;
}

/** Mean over 8 s windows (hop 1 s) of the normalised, Hann-windowed autocorrelation, lags 0..maxLag. */
function meanLocalAutocorrelation(x: Float64Array, fps: number, maxLag: number): Float64Array {
  const win = Math.min(x.length, Math.round(WINDOW_SEC * fps));
  const hop = Math.max(1, Math.round(HOP_SEC * fps));
  const hann = new Float64Array(win);
  for (let i = 0; i < win; i++) hann[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / win);
  const acc = new Float64Array(maxLag + 1);
  const seg = new Float64Array(win);
  let windows = 0;
  for (let s = 0; s + win <= x.length; s += hop) {
    let mean = 0;
    for (let i = 0; i < win; i++) mean += x[s + i]!;
    mean /= win;
    for (let i = 0; i < win; i++) seg[i] = (x[s + i]! - mean) * hann[i]!;
    let r0 = 0;
    for (let i = 0; i < win; i++) r0 += seg[i]! * seg[i]!;
    if (r0 <= 0) continue;
    for (let lag = 0; lag <= maxLag && lag < win; lag++) {
      let r = 0;
      for (let i = 0; i + lag < win; i++) r += seg[i]! * seg[i + lag]!;
      acc[lag]! += r / r0;
    }
    windows++;
  }
  if (windows) for (let lag = 0; lag <= maxLag; lag++) acc[lag]! /= windows;
  return acc;
}

export interface TempogramEstimate {
  bpm: number;
  /** Prior-weighted periodicity at a tempo (for comparing candidates). */
  salience(bpm: number): number;
}

/**
 * Global tempo from a multi-band tempogram (Scheirer 1998, Klapuri et al. 2006): the periodicity of the onsets in the
 * bass (< 150 Hz), middle (150 Hz - 2 kHz) and high (> 2 kHz) bands, each normalised so that no band dominates (a
 * broadband flux is mostly high-frequency bins), averaged, and weighted by a log-Gaussian tempo prior.
 */
export function multibandTempo(frames: SpectralFrames): TempogramEstimate {
  const fps = frames.sampleRate / frames.hop;
  const maxLag = Math.ceil((60 / MIN_BPM) * fps) + 2;
  const bands = [frames.lowFlux, frames.midFlux, frames.highFlux].map((f) =>
    meanLocalAutocorrelation(bandNovelty(f, fps), fps, maxLag),
  );
  const acf = new Float64Array(maxLag + 1);
  for (const b of bands) for (let i = 0; i <= maxLag; i++) acf[i]! += b[i]! / bands.length;
  const at = (lag: number): number => {
    const i = Math.floor(lag);
    const f = lag - i;
    return i + 1 <= maxLag ? acf[i]! * (1 - f) + acf[i + 1]! * f : 0;
  };
  const salience = (bpm: number): number =>
    at((60 * fps) / bpm) * Math.exp(-0.5 * (Math.log2(bpm / PRIOR_CENTRE_BPM) / PRIOR_OCTAVES) ** 2);
  let best = MIN_BPM;
  let bestSalience = salience(best);
  for (let bpm = MIN_BPM; bpm <= MAX_BPM; bpm += 0.25) {
    const s = salience(bpm);
    if (s > bestSalience) [best, bestSalience] = [bpm, s];
  }
  return { bpm: best, salience };
}

/** Metrical levels of one tempo: the tempo, double and half, triple and third (what Accuracy2 forgives). */
export const METRICAL_LEVELS = [1, 2, 0.5, 3, 1 / 3];

/** Same tempo up to a metrical level, within `tol` (relative). */
export function sameTempoFamily(a: number, b: number, tol = 0.04): boolean {
  return METRICAL_LEVELS.some((k) => Math.abs(a - b * k) <= tol * b * k);
}
