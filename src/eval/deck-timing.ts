import { MIX_RATE } from '../audio/io/mix-format.ts';
import { median } from '../audio/dsp/stats.ts';
import { alignmentEnvelope, fineOnsetEnvelope, lowBand, snapOnset } from '../audio/analysis/fine-onsets.ts';
import { refinedPeak } from './refined-peak.ts';

const HOP = 16;
const STEP = HOP / MIX_RATE;
const MAX_LAG_SEC = 0.02;

export interface DeckTimingWindow {
  /** Output times (s) where the window starts and ends. */
  atSec: number;
  endSec: number;
  /** How late the rendered deck plays its source against where the tempo schedule puts it (ms; negative = early). */
  offsetMs: number;
}

/**
 * Where a time-stretched deck really is against its schedule: the rendered deck's onset envelope cross-correlated,
 * window by window, with the source's envelope read at the input times the schedule maps each output instant to.
 * Mapping first keeps a tempo change inside a window from biasing the answer (a plain waveform correlation over
 * the last 2 s of a ramp is off by about a millisecond for that reason). Only windows where every beat of the source
 * carries a kick are judged: without one (a build's snare roll and riser) the stretcher's smearing of other
 * transients moves the envelope by up to 5 ms while nothing marks the beat.
 */
export function deckTimingMs(
  rendered: Float32Array,
  source: Float32Array,
  sourceBeats: number[],
  inputAt: (outputSec: number) => number,
  fromSec: number,
  toSec: number,
  windowSec = 3,
): DeckTimingWindow[] {
  const out = alignmentEnvelope(rendered, MIX_RATE, HOP);
  const src = alignmentEnvelope(source, MIX_RATE, HOP);
  const kicks = fineOnsetEnvelope(lowBand(source, MIX_RATE), 32);
  const kickAt = (t: number) => snapOnset(kicks, 32 / MIX_RATE, t, 0.025).strength;
  const threshold = 0.5 * median(sourceBeats.map(kickAt));
  const everyBeatKicks = (w: number): boolean => {
    const beats = sourceBeats.filter((t) => t >= inputAt(w) && t < inputAt(w + windowSec));
    return beats.length >= 2 && beats.every((t) => kickAt(t) >= threshold);
  };
  const srcAt = (sec: number): number => {
    const x = inputAt(sec) / STEP;
    const k = Math.floor(x);
    const f = x - k;
    return (src[k] ?? 0) * (1 - f) + (src[k + 1] ?? 0) * f;
  };
  const maxLag = Math.round(MAX_LAG_SEC / STEP);
  const starts: number[] = [];
  for (let w = fromSec; w + windowSec <= toSec; w += windowSec) starts.push(w);
  // The last window ends exactly at `toSec` (a junction is judged on what leads up to it).
  if (toSec - windowSec > fromSec && starts.at(-1) !== toSec - windowSec) starts.push(toSec - windowSec);
  return starts.filter(everyBeatKicks).map((w) => {
    const i0 = Math.round(w / STEP);
    const n = Math.round(windowSec / STEP);
    const ref = Float32Array.from({ length: n }, (_, k) => srcAt((i0 + k) * STEP));
    const scores: number[] = [];
    for (let lag = -maxLag; lag <= maxLag; lag++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += (out[i0 + k + lag] ?? 0) * ref[k]!;
      scores.push(dot);
    }
    return { atSec: w, endSec: w + windowSec, offsetMs: (refinedPeak(scores).at - maxLag) * STEP * 1000 };
  });
}
