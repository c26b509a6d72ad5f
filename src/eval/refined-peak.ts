/** The largest score's index, and its position refined between its neighbours by parabolic interpolation (±0.5). */
export function refinedPeak(scores: number[]): { index: number; at: number } {
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k]! > scores[best]!) best = k;
  const l = scores[best - 1] ?? scores[best]!;
  const r = scores[best + 1] ?? scores[best]!;
  const denom = l - 2 * scores[best]! + r;
  return { index: best, at: best + (denom !== 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / denom)) : 0) };
}
