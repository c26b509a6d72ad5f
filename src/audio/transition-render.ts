import { ThreeBandEq } from './band-splitter.ts';
import { DeckReader, MIX_CHANNELS, MIX_RATE } from './deck-reader.ts';
import { rideLoudness } from './loudness-rider.ts';
import { inputAfter, outputDuration } from './tempo-schedule.ts';
import { transitionGains } from './transition-curves.ts';
import type { TransitionPlan } from './transition-plan.ts';

/** The new track's stretched head hands over to its plain body with this crossfade, so the seam cannot click. */
export const JUNCTION_FADE_SEC = 0.03;
const ECHO_FEEDBACK = 0.45;
const UNITY = { a: { low: 1, mid: 1, high: 1 }, b: { low: 1, mid: 1, high: 1 } };

export interface DeckSource {
  file: string;
  gain: number;
  bpm: number;
}

export interface TransitionJob {
  plan: TransitionPlan;
  from: DeckSource;
  to: DeckSource;
  /** Render one deck alone, at full level with the EQ open (measurement: each deck's beats in its own audio). */
  solo?: 'from' | 'to';
}

export interface RenderedTransition {
  /** Interleaved stereo at 48 kHz, starting on A's exit downbeat. The last JUNCTION_FADE_SEC fade out. */
  pcm: Float32Array;
  frames: number;
  /** Frames before the junction fade: where the next body starts (fading in). */
  junctionFrame: number;
  /** B's own track time at the junction: where its body continues. */
  bodyFromSec: number;
}

/** Length of the transition in the set: the overlap, then B's ramp back to its own tempo (at least one bar of B). */
export function transitionSpan(plan: TransitionPlan, bpmB: number): { seconds: number; bodyFromSec: number } {
  const overlapInputEnd = inputAfter(plan.schedule, plan.entrySec, plan.overlapSec);
  const rampInputSec = plan.rampBars * 4 * (60 / bpmB);
  const seconds = Math.max(plan.overlapSec + outputDuration(plan.schedule, overlapInputEnd, overlapInputEnd + rampInputSec), (4 * 60) / bpmB);
  return { seconds, bodyFromSec: inputAfter(plan.schedule, plan.entrySec, seconds) };
}

/**
 * Renders A → B: both decks decoded (B through rubberband on its tempo schedule), each through a three-band EQ
 * driven by the style's curves, summed. Loudness gains are already applied by the decks; the master limiter comes
 * after, in the set engine.
 */
export async function renderTransition(job: TransitionJob): Promise<RenderedTransition> {
  const { plan } = job;
  const span = transitionSpan(plan, job.to.bpm);
  const junctionFrame = Math.round(span.seconds * MIX_RATE);
  const fadeFrames = Math.round(JUNCTION_FADE_SEC * MIX_RATE);
  const frames = junctionFrame + fadeFrames;
  const beatSecA = 60 / job.from.bpm;
  const echo = plan.style === 'echo-out';
  // Echo-out feeds A's last beat before the exit into the delay line.
  const preFrames = echo ? Math.round(beatSecA * MIX_RATE) : 0;
  const aFrames = Math.min(frames, Math.round(plan.overlapSec * MIX_RATE) + Math.round(0.01 * MIX_RATE));
  const deckA = new DeckReader({ file: job.from.file, fromSec: plan.exitSec - preFrames / MIX_RATE, gain: job.from.gain });
  const deckB = new DeckReader({ file: job.to.file, fromSec: plan.entrySec, schedule: plan.schedule, gain: job.to.gain });
  try {
    const [a, b] = await Promise.all([deckA.read(preFrames + aFrames), deckB.read(frames)]);
    const out = new Float32Array(frames * MIX_CHANNELS);
    const eqA = [new ThreeBandEq(MIX_RATE), new ThreeBandEq(MIX_RATE)];
    const eqB = [new ThreeBandEq(MIX_RATE), new ThreeBandEq(MIX_RATE)];
    const delayFrames = Math.round(0.75 * beatSecA * MIX_RATE);
    const delay = echo ? new Float32Array(delayFrames * MIX_CHANNELS) : undefined;
    let delayPos = 0;
    if (delay) {
      // Prime the echo with A's last beat.
      for (let i = 0; i < preFrames; i++) {
        for (let c = 0; c < MIX_CHANNELS; c++) delay[delayPos * MIX_CHANNELS + c] = 0.6 * a[i * MIX_CHANNELS + c]! + ECHO_FEEDBACK * delay[delayPos * MIX_CHANNELS + c]!;
        delayPos = (delayPos + 1) % delayFrames;
      }
    }
    for (let i = 0; i < frames; i++) {
      const t = i / MIX_RATE;
      const g = job.solo ? UNITY : transitionGains(plan, t, beatSecA);
      const tail = i >= junctionFrame ? Math.cos((Math.PI / 2) * ((i - junctionFrame) / fadeFrames)) : 1;
      for (let c = 0; c < MIX_CHANNELS; c++) {
        const k = i * MIX_CHANNELS + c;
        const aIn = i < aFrames ? a[(preFrames + i) * MIX_CHANNELS + c]! : 0;
        const aOut = eqA[c]!.process(aIn, g.a.low, g.a.mid, g.a.high);
        const bOut = eqB[c]!.process(b[k]!, g.b.low, g.b.mid, g.b.high);
        let sample = job.solo === 'from' ? aOut : job.solo === 'to' ? bOut : aOut + bOut;
        if (delay) {
          const d = delayPos * MIX_CHANNELS + c;
          const wet = delay[d]!;
          delay[d] = ECHO_FEEDBACK * wet;
          sample += wet;
        }
        out[k] = sample * tail;
      }
      if (delay) delayPos = (delayPos + 1) % delayFrames;
    }
    if (!job.solo && (plan.style === 'blend' || plan.style === 'filter-fade')) {
      const aAligned = new Float32Array(frames * MIX_CHANNELS);
      aAligned.set(a.subarray(preFrames * MIX_CHANNELS, (preFrames + Math.min(aFrames, frames)) * MIX_CHANNELS));
      rideLoudness(out.subarray(0, junctionFrame * MIX_CHANNELS), aAligned.subarray(0, junctionFrame * MIX_CHANNELS), b.subarray(0, junctionFrame * MIX_CHANNELS), MIX_RATE);
    }
    return { pcm: out, frames, junctionFrame, bodyFromSec: span.bodyFromSec };
  } finally {
    deckA.close();
    deckB.close();
  }
}
