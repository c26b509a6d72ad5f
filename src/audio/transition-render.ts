import { ThreeBandEq } from './band-splitter.ts';
import { DeckReader, MIX_CHANNELS, MIX_RATE } from './deck-reader.ts';
import { rideLoudness } from './loudness-rider.ts';
import { inputAfter, outputDuration } from './tempo-schedule.ts';
import { transitionGains } from './transition-curves.ts';
import type { TransitionPlan } from './transition-plan.ts';

/** The new track's stretched head hands over to its plain body with this crossfade, so the seam cannot click. */
export const JUNCTION_FADE_SEC = 0.03;
const ECHO_FEEDBACK = 0.45;
const CHUNK_FRAMES = 24_000;
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
  const deckA = new DeckReader({ file: job.from.file, fromSec: plan.exitSec - preFrames / MIX_RATE, gain: job.from.gain, highWaterFrames: preFrames + aFrames });
  const head = new StretchedHead(job, frames);
  try {
    const a = new Float32Array((preFrames + aFrames) * MIX_CHANNELS);
    const b = new Float32Array(frames * MIX_CHANNELS);
    a.set(await deckA.read(preFrames));
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
    let g = UNITY;
    // Past the overlap (and any echo tail) B plays alone and unequalised: copied straight through.
    const mixedFrames = Math.min(frames, echo ? frames : aFrames + Math.round(beatSecA * MIX_RATE));
    for (let i = 0; i < mixedFrames; i++) {
      if (i % CHUNK_FRAMES === 0) {
        // Mix as the decks deliver: the stretching (other processes) and this loop overlap in time.
        const n = Math.min(CHUNK_FRAMES, frames - i);
        const [aChunk, bChunk] = await Promise.all([i < aFrames ? deckA.read(Math.min(n, aFrames - i)) : undefined, head.read(n)]);
        if (aChunk) a.set(aChunk, (preFrames + i) * MIX_CHANNELS);
        b.set(bChunk, i * MIX_CHANNELS);
      }
      // The curves move over beats and bars: evaluating them every 32 frames (0.7 ms) is plenty.
      if (!job.solo && i % 32 === 0) g = transitionGains(plan, i / MIX_RATE, beatSecA);
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
        out[k] = sample;
      }
      if (delay) delayPos = (delayPos + 1) % delayFrames;
    }
    const alignedTo = Math.ceil(mixedFrames / CHUNK_FRAMES) * CHUNK_FRAMES;
    if (alignedTo < frames) b.set(await head.read(frames - alignedTo), alignedTo * MIX_CHANNELS);
    if (job.solo !== 'from') out.set(b.subarray(mixedFrames * MIX_CHANNELS), mixedFrames * MIX_CHANNELS);
    for (let i = junctionFrame; i < frames; i++) {
      const tail = Math.cos((Math.PI / 2) * ((i - junctionFrame) / fadeFrames));
      for (let c = 0; c < MIX_CHANNELS; c++) out[i * MIX_CHANNELS + c]! *= tail;
    }
    if (!job.solo && (plan.style === 'blend' || plan.style === 'filter-fade')) {
      const aAligned = new Float32Array(frames * MIX_CHANNELS);
      aAligned.set(a.subarray(preFrames * MIX_CHANNELS, (preFrames + Math.min(aFrames, frames)) * MIX_CHANNELS));
      // Ride only where the decks overlap (plus the settling of the 3 s window); B alone needs no riding.
      const ride = Math.min(junctionFrame, mixedFrames + 3 * MIX_RATE) * MIX_CHANNELS;
      rideLoudness(out.subarray(0, ride), aAligned.subarray(0, ride), b.subarray(0, ride), MIX_RATE);
    }
    return { pcm: out, frames, junctionFrame, bodyFromSec: span.bodyFromSec };
  } finally {
    deckA.close();
    head.close();
  }
}

const SPLIT_MIN_SEC = 16;
const SPLIT_FADE_FRAMES = Math.round(0.02 * MIX_RATE);

/**
 * B's head through rubberband, the costliest step, read in order. Long heads are stretched as two halves in
 * parallel (two cores): the second half decodes ahead into its buffer while the first is being mixed, each with its
 * own run-up, joined by a 20 ms crossfade at a point whose input and output times the schedule fixes.
 */
class StretchedHead {
  private readonly first: DeckReader;
  private readonly second?: DeckReader;
  private readonly secondFrom: number;
  private readonly split: number;
  private pos = 0;

  constructor(job: TransitionJob, frames: number) {
    const { plan } = job;
    const open = (fromSec: number, highWaterFrames?: number) =>
      new DeckReader({ file: job.to.file, fromSec, schedule: plan.schedule, gain: job.to.gain, highWaterFrames });
    const parallel = plan.schedule.length > 0 && frames / MIX_RATE >= SPLIT_MIN_SEC;
    this.split = parallel ? Math.round(frames / 2) : frames;
    this.secondFrom = this.split - SPLIT_FADE_FRAMES;
    this.first = open(plan.entrySec);
    if (parallel) this.second = open(inputAfter(plan.schedule, plan.entrySec, this.secondFrom / MIX_RATE), frames);
  }

  async read(n: number): Promise<Float32Array> {
    if (!this.second) return this.first.read(n);
    const out = new Float32Array(n * MIX_CHANNELS);
    for (let f = 0; f < n; ) {
      const p = this.pos + f;
      if (p < this.secondFrom) {
        const take = Math.min(n - f, this.secondFrom - p);
        out.set(await this.first.read(take), f * MIX_CHANNELS);
        f += take;
      } else if (p < this.split) {
        const take = Math.min(n - f, this.split - p);
        const [head, tail] = await Promise.all([this.first.read(take), this.second.read(take)]);
        for (let k = 0; k < take; k++) {
          // Equal-gain: both halves carry the same material, nearly in phase.
          const g = (p - this.secondFrom + k + 0.5) / SPLIT_FADE_FRAMES;
          for (let c = 0; c < MIX_CHANNELS; c++) out[(f + k) * MIX_CHANNELS + c] = head[k * MIX_CHANNELS + c]! * (1 - g) + tail[k * MIX_CHANNELS + c]! * g;
        }
        f += take;
      } else {
        out.set(await this.second.read(n - f), f * MIX_CHANNELS);
        f = n;
      }
    }
    this.pos += n;
    return out;
  }

  close(): void {
    this.first.close();
    this.second?.close();
  }
}
