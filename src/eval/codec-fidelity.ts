import FFT from 'fft.js';

const N = 1024;
/** Critical-band edges (Hz, Zwicker's Bark scale) up to 20 kHz. */
const BAND_EDGES = [
  0, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700, 4400, 5300, 6400,
  7700, 9500, 12000, 15500, 20000,
];
/** Bands quieter than this (dB re full scale, per band and frame) are left out: their error is inaudible and unstable. */
const FLOOR_DB = -60;

export interface CodecFidelity {
  /** Mean absolute difference of critical-band energies, decoded vs original, over audible bands and frames (dB). */
  bandErrorDb: number;
  /** The same over the bands above 9.5 kHz, where a codec saves bits first. */
  highBandErrorDb: number;
  frames: number;
}

function bandEnergies(pcm: Float32Array, channels: number, channel: number, sampleRate: number): Float64Array[] {
  const fft = new FFT(N);
  const window = Float64Array.from({ length: N }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
  const bandOfBin = new Int8Array(N / 2).fill(-1);
  for (let k = 1; k < N / 2; k++) {
    const f = (k * sampleRate) / N;
    const b = BAND_EDGES.findIndex((edge, i) => i > 0 && f < edge) - 1;
    bandOfBin[k] = b >= 0 ? b : -1;
  }
  const frame = new Float64Array(N);
  const spectrum = new Float64Array(2 * N);
  const frames: Float64Array[] = [];
  const scale = 4 / (N * N);
  for (let s = 0; s + N <= pcm.length / channels; s += N / 2) {
    for (let i = 0; i < N; i++) frame[i] = pcm[(s + i) * channels + channel]! * window[i]!;
    fft.realTransform(spectrum as unknown as number[], frame as unknown as number[]);
    const e = new Float64Array(BAND_EDGES.length - 1);
    for (let k = 1; k < N / 2; k++) {
      const b = bandOfBin[k]!;
      if (b >= 0) e[b]! += (spectrum[2 * k]! ** 2 + spectrum[2 * k + 1]! ** 2) * scale;
    }
    frames.push(e.map((v) => 10 * Math.log10(v + 1e-12)));
  }
  return frames;
}

/**
 * How closely a lossy codec's output keeps the original's spectral envelope: critical-band energies of 1024-sample
 * frames compared frame by frame. `decoded` must be aligned with `original` (the codec's delay removed).
 */
export function codecFidelity(
  original: Float32Array,
  decoded: Float32Array,
  channels: number,
  sampleRate: number,
): CodecFidelity {
  let sum = 0,
    n = 0,
    highSum = 0,
    highN = 0,
    frames = 0;
  const highFrom = BAND_EDGES.indexOf(9500);
  for (let c = 0; c < channels; c++) {
    const ref = bandEnergies(original, channels, c, sampleRate);
    const got = bandEnergies(decoded, channels, c, sampleRate);
    const count = Math.min(ref.length, got.length);
    frames = count;
    for (let t = 0; t < count; t++) {
      for (let b = 0; b < ref[t]!.length; b++) {
        if (ref[t]![b]! < FLOOR_DB) continue;
        const d = Math.abs(ref[t]![b]! - got[t]![b]!);
        sum += d;
        n++;
        if (b >= highFrom) {
          highSum += d;
          highN++;
        }
      }
    }
  }
  return { bandErrorDb: n ? sum / n : 0, highBandErrorDb: highN ? highSum / highN : 0, frames };
}
