import type { Timbre } from './analysis-types.ts';

const COEFFICIENTS = 13;
const MEL_BANDS = 40;
const HIGH_HZ = 11000;
/** essentia's MFCC clips band energies below this before the log. */
const SILENCE = 1e-10;

const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

interface MelFilter {
  first: number;
  weights: Float64Array;
}

/**
 * essentia's MFCC (the defaults we called it with: 40 HTK-mel triangles from 0 Hz to 11 kHz weighted on the mel scale,
 * each normalised to unit sum over its bins, on the power spectrum; 20·log10 of each band, silence clipped at
 * 1e-10; orthonormal DCT-II to 13 coefficients), with the filterbank and DCT table built once: essentia.js rebuilt
 * them on every call, which was 40 % of a track's analysis time.
 */
class Mfcc {
  private readonly filters: MelFilter[] = [];
  private readonly dct: Float64Array;
  private readonly bands = new Float64Array(MEL_BANDS);
  readonly spectrumSize: number;

  constructor(spectrumSize: number, sampleRate: number) {
    this.spectrumSize = spectrumSize;
    const high = Math.min(HIGH_HZ, sampleRate / 2);
    const melHigh = hzToMel(high);
    const edges = Array.from({ length: MEL_BANDS + 2 }, (_, i) => melToHz((i * melHigh) / (MEL_BANDS + 1)));
    const binHz = sampleRate / 2 / (spectrumSize - 1);
    for (let i = 0; i < MEL_BANDS; i++) {
      const [lo, mid, hi] = [edges[i]!, edges[i + 1]!, edges[i + 2]!];
      const up = hzToMel(mid) - hzToMel(lo);
      const down = hzToMel(hi) - hzToMel(mid);
      const first = Math.ceil(lo / binHz);
      const last = Math.min(spectrumSize - 1, Math.floor(hi / binHz));
      const weights = new Float64Array(Math.max(0, last - first + 1));
      let sum = 0;
      for (let j = first; j <= last; j++) {
        const f = j * binHz;
        const w = f < mid ? (hzToMel(f) - hzToMel(lo)) / up : (hzToMel(hi) - hzToMel(f)) / down;
        weights[j - first] = w;
        sum += w;
      }
      if (sum > 0) for (let j = 0; j < weights.length; j++) weights[j]! /= sum;
      this.filters.push({ first, weights });
    }
    this.dct = new Float64Array(COEFFICIENTS * MEL_BANDS);
    for (let c = 0; c < COEFFICIENTS; c++) {
      const scale = c === 0 ? Math.sqrt(1 / MEL_BANDS) : Math.sqrt(2 / MEL_BANDS);
      for (let j = 0; j < MEL_BANDS; j++)
        this.dct[c * MEL_BANDS + j] = scale * Math.cos((Math.PI / MEL_BANDS) * c * (j + 0.5));
    }
  }

  /** The 13 coefficients of one magnitude spectrum (spectrumSize bins, DC to Nyquist) into `out`. */
  compute(spectrum: Float32Array, out: Float64Array): void {
    for (let i = 0; i < MEL_BANDS; i++) {
      const { first, weights } = this.filters[i]!;
      let e = 0;
      for (let j = 0; j < weights.length; j++) {
        const m = spectrum[first + j]!;
        e += m * m * weights[j]!;
      }
      this.bands[i] = e < SILENCE ? 20 * Math.log10(SILENCE) : 20 * Math.log10(e);
    }
    for (let c = 0; c < COEFFICIENTS; c++) {
      let s = 0;
      for (let j = 0; j < MEL_BANDS; j++) s += this.bands[j]! * this.dct[c * MEL_BANDS + j]!;
      out[c] = s;
    }
  }
}

/** MFCC mean and variance over the kept spectra (one every few frames is plenty for a summary). */
export function timbreSummary(spectra: Float32Array[], sampleRate: number): Timbre {
  const sum = new Float64Array(COEFFICIENTS);
  const sumSq = new Float64Array(COEFFICIENTS);
  const mfcc = new Float64Array(COEFFICIENTS);
  let n = 0;
  let bank: Mfcc | undefined;
  for (const spectrum of spectra) {
    let energy = 0;
    for (let i = 0; i < spectrum.length; i++) energy += spectrum[i]!;
    if (energy < 1e-3) continue;
    if (bank?.spectrumSize !== spectrum.length) bank = new Mfcc(spectrum.length, sampleRate);
    bank.compute(spectrum, mfcc);
    for (let c = 0; c < COEFFICIENTS; c++) {
      sum[c]! += mfcc[c]!;
      sumSq[c]! += mfcc[c]! ** 2;
    }
    n++;
  }
  const k = Math.max(1, n);
  const mfccMean = Array.from(sum, (s) => Number((s / k).toFixed(3)));
  const mfccVar = Array.from(sumSq, (s, c) => Number(Math.max(0, s / k - (sum[c]! / k) ** 2).toFixed(3)));
  return { mfccMean, mfccVar };
}
