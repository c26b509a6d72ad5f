import type { Timbre } from './analysis-types.ts';
import type { EssentiaInstance } from './essentia-runtime.ts';
import { essentiaCall, withVectors } from './essentia-runtime.ts';

const COEFFICIENTS = 13;

/** MFCC mean and variance over the kept spectra (one every few frames is plenty for a summary). */
export function timbreSummary(essentia: EssentiaInstance, spectra: Float32Array[], sampleRate: number): Timbre {
  const sum = new Float64Array(COEFFICIENTS);
  const sumSq = new Float64Array(COEFFICIENTS);
  let n = 0;
  for (const spectrum of spectra) {
    let energy = 0;
    for (let i = 0; i < spectrum.length; i++) energy += spectrum[i]!;
    if (energy < 1e-3) continue;
    const input = essentia.arrayToVector(spectrum);
    const out = essentiaCall('MFCC', () =>
      essentia.MFCC(input, 2, Math.min(11000, sampleRate / 2), spectrum.length, 0, 'dbamp', 0, 'unit_sum', 40, COEFFICIENTS, sampleRate),
    );
    withVectors([input, out.bands, out.mfcc], () => {
      const mfcc = essentia.vectorToArray(out.mfcc);
      for (let c = 0; c < COEFFICIENTS; c++) {
        sum[c]! += mfcc[c]!;
        sumSq[c]! += mfcc[c]! ** 2;
      }
    });
    n++;
  }
  const k = Math.max(1, n);
  const mfccMean = Array.from(sum, (s) => Number((s / k).toFixed(3)));
  const mfccVar = Array.from(sumSq, (s, c) => Number(Math.max(0, s / k - (sum[c]! / k) ** 2).toFixed(3)));
  return { mfccMean, mfccVar };
}
