/** B's tempo as A's tempo asks for it: as is, at double or at half time, whichever needs the smaller stretch. */
export function tempoMatch(bpmA: number, bpmB: number): { matched: number; stretchPct: number; octave: boolean } {
  let best = { matched: bpmB, stretchPct: (bpmA / bpmB - 1) * 100, octave: false };
  for (const factor of [2, 0.5]) {
    const matched = bpmB * factor;
    const stretchPct = (bpmA / matched - 1) * 100;
    if (Math.abs(stretchPct) < Math.abs(best.stretchPct)) best = { matched, stretchPct, octave: true };
  }
  return best;
}
