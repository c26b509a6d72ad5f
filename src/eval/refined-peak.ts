import { parabolicOffset } from '../audio/dsp/peak-interpolation.ts';

/** The largest score's index, and its position refined between its neighbours by parabolic interpolation (±0.5). */
export function refinedPeak(scores: number[]): { index: number; at: number } {
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k]! > scores[best]!) best = k;
  const l = scores[best - 1] ?? scores[best]!;
  const r = scores[best + 1] ?? scores[best]!;
  return { index: best, at: best + parabolicOffset(l, scores[best]!, r, true) };
}
