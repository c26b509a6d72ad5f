import { ThreeBandEq } from '../dsp/band-splitter.ts';
import { DeckReader, MIX_CHANNELS, MIX_RATE } from '../io/deck-reader.ts';
import { HighPassSweep } from '../dsp/high-pass-sweep.ts';
import { cosineFadeOut } from '../dsp/fades.ts';
import { LoudnessRider } from '../dsp/loudness-rider.ts';
import { inputAfter, isUnity, outputDuration } from './tempo-schedule.ts';
import { checkDecksAsRead } from './transition-check.ts';
import type { DeckCheck } from './transition-check.ts';
import { transitionGains } from './transition-curves.ts';
import type { DeckGains } from './transition-curves.ts';
import type { TransitionPlan } from './transition-plan.ts';

/** The new track's stretched head hands over to its plain body with this crossfade, so the seam cannot click. */
export const JUNCTION_FADE_SEC = 0.03;
const ECHO_FEEDBACK = 0.45;
const CHUNK_FRAMES = 24_000;
/** Frames per evaluation of the EQ curves; CHUNK_FRAMES is a multiple, so blocks start where they always did. */
const GAIN_BLOCK_FRAMES = 32;
/** The loudness rider's 100 ms blocks: the second mixing lane starts on one. */
const RIDE_BLOCK_FRAMES = MIX_RATE / 10;
const LANE_WARM_UP_FRAMES = Math.round(0.4 * MIX_RATE);
const UNITY: DeckGains = { a: { low: 1, mid: 1, high: 1 }, b: { low: 1, mid: 1, high: 1 } };

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
  /** With `solo`: the deck through its transition EQ and gains rather than open (measurement: how bands hand over). */
  soloThroughEq?: boolean;
  /** Render B's ramp back to its own tempo too, rather than leave it to be streamed (the way it was: comparisons). */
  rampAhead?: boolean;
  /**
   * Each track's beats (its own track time): a beat-matched overlap is then checked on the decks as rendered (B's kick
   * against A's on every beat), and the figure returned with the render.
   */
  checkBeats?: { from: number[]; to: number[] };
}

export interface RenderedTransition {
  /** Interleaved stereo at 48 kHz, starting on A's exit downbeat, up to `handoffFrame`; the frames after it fade out. */
  pcm: Float32Array;
  frames: number;
  /**
   * Where the render hands over: to B's body at the junction, or, when B's ramp back to its own tempo is streamed
   * after the render (`TransitionRamp`), to that ramp (`handoffFrame < junctionFrame`).
   */
  handoffFrame: number;
  /** Frames from A's exit to the junction: where the next body starts (fading in). */
  junctionFrame: number;
  /** B's own track time at the junction: where its body continues. */
  bodyFromSec: number;
  /** The beat check of a beat-matched overlap (when the job gave the beats). */
  check?: DeckCheck;
}

/**
 * The ramp and the render meet with a crossfade this long (equal gain: both sides are B through rubberband on the same
 * schedule, in phase).
 */
export const HANDOFF_FADE_FRAMES = Math.round(0.02 * MIX_RATE);
/** A ramp shorter than this after the mix is rendered with it: not worth a second rubberband run-up. */
const MIN_STREAMED_RAMP_SEC = 2;

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
  const beatSecA = 60 / job.from.bpm;
  const echo = plan.style === 'echo-out';
  // Past the overlap (and any echo tail) B plays alone and unequalised; the loudness rider settles 3 s later.
  const overlapFrames = Math.round(plan.overlapSec * MIX_RATE) + Math.round(0.01 * MIX_RATE);
  const soloFrom = echo ? junctionFrame : Math.min(junctionFrame, overlapFrames + Math.round(beatSecA * MIX_RATE) + 3 * MIX_RATE);
  // From there on B's ramp back to its own tempo is B alone: it is streamed with B's body rather than rendered
  // ahead (a fifth of a 32-bar blend's rubberband work, and the render's critical path).
  const streamRamp = !job.rampAhead && !isUnity(plan.schedule) && junctionFrame - soloFrom >= MIN_STREAMED_RAMP_SEC * MIX_RATE;
  const handoffFrame = streamRamp ? soloFrom : junctionFrame;
  const fadeFrames = streamRamp ? HANDOFF_FADE_FRAMES : Math.round(JUNCTION_FADE_SEC * MIX_RATE);
  const frames = handoffFrame + fadeFrames;
  // Echo-out feeds A's last beat before the exit into the delay line.
  const preFrames = echo ? Math.round(beatSecA * MIX_RATE) : 0;
  const aFrames = Math.min(frames, overlapFrames);
  const mixedFrames = Math.min(frames, echo ? frames : aFrames + Math.round(beatSecA * MIX_RATE));
  // Ride only where the decks overlap, an echo tail over B included (plus the settling of the 3 s window); B alone
  // needs no riding.
  const rideFrames = !job.solo && plan.style !== 'cut' ? Math.min(handoffFrame, mixedFrames + 3 * MIX_RATE) : 0;
  // The stretched head first: it is the long pole, and each spawn holds this thread for ~10 ms.
  const head = new StretchedHead(job, frames);
  const deckA = new DeckReader({ file: job.from.file, fromSec: plan.exitSec - preFrames / MIX_RATE, gain: job.from.gain, highWaterFrames: preFrames + aFrames });
  try {
    // A, then silence wherever the EQ or the rider looks past its end.
    const a = new Float32Array((preFrames + Math.max(aFrames, mixedFrames, rideFrames)) * MIX_CHANNELS);
    const b = new Float32Array(frames * MIX_CHANNELS);
    const out = new Float32Array(frames * MIX_CHANNELS);
    // The decks are read into a and b as fast as they deliver; the mixing follows.
    const aRead = new Progress();
    const bFirst = new Progress();
    const bSecond = new Progress(head.split);
    const reading = Promise.all([
      fill(aRead, async (advance) => {
        for (let f = 0; f < preFrames + aFrames; f += CHUNK_FRAMES) {
          const n = Math.min(CHUNK_FRAMES, preFrames + aFrames - f);
          await deckA.readInto(a, f, n);
          advance(f + n);
        }
      }),
      fill(bFirst, async (advance) => {
        for (let f = 0; f < head.split; f += CHUNK_FRAMES) {
          const n = Math.min(CHUNK_FRAMES, head.split - f);
          await head.readFirst(b, f, n);
          advance(f + n);
        }
      }),
      fill(bSecond, async (advance) => {
        for (let f = head.split; f < frames; f += CHUNK_FRAMES) {
          const n = Math.min(CHUNK_FRAMES, frames - f);
          await head.readSecond(b, f, n);
          advance(f + n);
        }
      }),
    ]);
    /** Both decks are in up to `frame` of the transition (from `split` on, when `secondHalf`: not waiting for the first). */
    const ready = (frame: number, secondHalf = false) =>
      Promise.all([
        aRead.until(preFrames + Math.min(frame, aFrames)),
        secondHalf ? undefined : bFirst.until(Math.min(frame, head.split)),
        frame > head.split ? bSecond.until(frame) : undefined,
      ]);

    const delayFrames = Math.round(0.75 * beatSecA * MIX_RATE);
    const delay = echo ? new Float32Array(delayFrames * MIX_CHANNELS) : undefined;
    let delayPos = 0;
    const soloA = job.solo === 'from';
    const soloB = job.solo === 'to';
    /** Frames [from, to) of the mix through one set of EQs, into `dest` (whose first frame is `destFrame`). */
    const mixFrames = (eq: DeckEqs, from: number, to: number, dest: Float32Array, destFrame: number) => {
      let g = UNITY;
      // Block by block (the curves move over beats and bars: evaluating them every 32 frames, 0.7 ms, is plenty),
      // channel by channel within a block: the same arithmetic as sample by sample, in a third of the time.
      for (let i0 = from; i0 < to; i0 += GAIN_BLOCK_FRAMES) {
        const n = Math.min(GAIN_BLOCK_FRAMES, to - i0);
        if (!job.solo || job.soloThroughEq) g = transitionGains(plan, i0 / MIX_RATE, beatSecA);
        for (let c = 0; c < MIX_CHANNELS; c++) {
          const aOut = eq.a[c]!.processBlock(a, (preFrames + i0) * MIX_CHANNELS + c, MIX_CHANNELS, n, g.a.low, g.a.mid, g.a.high);
          if (g.a.highPassHz !== undefined) {
            eq.aFilter[c]!.setCutoff(g.a.highPassHz);
            eq.aFilter[c]!.process(aOut, n, g.a.highPassWet ?? 1);
          }
          const bOut = eq.b[c]!.processBlock(b, i0 * MIX_CHANNELS + c, MIX_CHANNELS, n, g.b.low, g.b.mid, g.b.high);
          for (let k = 0, o = (i0 - destFrame) * MIX_CHANNELS + c; k < n; k++, o += MIX_CHANNELS) {
            let sample = soloA ? aOut[k]! : soloB ? bOut[k]! : aOut[k]! + bOut[k]!;
            if (delay) {
              const d = ((delayPos + k) % delayFrames) * MIX_CHANNELS + c;
              const wet = delay[d]!;
              delay[d] = ECHO_FEEDBACK * wet;
              sample += wet;
            }
            dest[o] = sample;
          }
        }
        if (delay) delayPos = (delayPos + n) % delayFrames;
      }
    };
    const part = (x: Float32Array, offset: number, from: number, to: number) => x.subarray((offset + from) * MIX_CHANNELS, (offset + to) * MIX_CHANNELS);
    const meter = (rider: LoudnessRider | undefined, from: number, to: number) => {
      if (rider && to > from) rider.push(part(out, 0, from, to), part(a, preFrames, from, to), part(b, 0, from, to));
    };

    // Two lanes when B is stretched as two halves: the second lane mixes the second half as soon as it is in,
    // instead of after the first half, so the end of the render is not this thread alone. Its filters (EQ, then the
    // loudness meters) run over 0.4 s each before its first frame: their impulse responses die out within 0.2 s, so
    // from that frame on their state, and the mix, is the first lane's to the last bit.
    const laneFrom = Math.ceil((head.split + 2 * LANE_WARM_UP_FRAMES) / RIDE_BLOCK_FRAMES) * RIDE_BLOCK_FRAMES;
    const lanes = !echo && head.split < frames && laneFrom < mixedFrames;
    const firstEnd = lanes ? laneFrom : mixedFrames;
    const rider = rideFrames > 0 ? new LoudnessRider(MIX_RATE) : undefined;
    const laneRider = lanes && rideFrames > laneFrom ? new LoudnessRider(MIX_RATE) : undefined;
    const firstLane = async () => {
      const eq = deckEqs();
      await ready(0);
      if (delay) {
        // Prime the echo with A's last beat through the EQ with its bass killed: B's bass comes in on its first
        // downbeat, and an echoed kick off the beat under it would flam.
        const lastBeat = Array.from({ length: MIX_CHANNELS }, (_, c) => Float64Array.from(new ThreeBandEq(MIX_RATE).processBlock(a, c, MIX_CHANNELS, preFrames, 0, 1, 1).subarray(0, preFrames)));
        for (let i = 0; i < preFrames; i++) {
          for (let c = 0; c < MIX_CHANNELS; c++) delay[delayPos * MIX_CHANNELS + c] = 0.6 * lastBeat[c]![i]! + ECHO_FEEDBACK * delay[delayPos * MIX_CHANNELS + c]!;
          delayPos = (delayPos + 1) % delayFrames;
        }
      }
      for (let start = 0; start < firstEnd; start += CHUNK_FRAMES) {
        const end = Math.min(firstEnd, start + CHUNK_FRAMES);
        await ready(end);
        mixFrames(eq, start, end, out, 0);
        meter(rider, start, Math.min(end, rideFrames));
      }
    };
    const secondLane = async () => {
      if (!lanes) return;
      const eq = deckEqs();
      const warm = laneFrom - LANE_WARM_UP_FRAMES;
      await ready(laneFrom, true);
      for (let c = 0; c < MIX_CHANNELS; c++) {
        eq.a[c]!.processBlock(a, (preFrames + warm - LANE_WARM_UP_FRAMES) * MIX_CHANNELS + c, MIX_CHANNELS, LANE_WARM_UP_FRAMES, 1, 1, 1);
        eq.b[c]!.processBlock(b, (warm - LANE_WARM_UP_FRAMES) * MIX_CHANNELS + c, MIX_CHANNELS, LANE_WARM_UP_FRAMES, 1, 1, 1);
      }
      const warmMix = new Float32Array(LANE_WARM_UP_FRAMES * MIX_CHANNELS);
      mixFrames(eq, warm, laneFrom, warmMix, warm);
      laneRider?.prime(warmMix, part(a, preFrames, warm, laneFrom), part(b, 0, warm, laneFrom));
      for (let start = laneFrom; start < mixedFrames; start += CHUNK_FRAMES) {
        const end = Math.min(mixedFrames, start + CHUNK_FRAMES);
        await ready(end, true);
        mixFrames(eq, start, end, out, 0);
        meter(laneRider, start, Math.min(end, rideFrames));
      }
    };
    // The beat check of a beat-matched overlap, on the decks as they are read (before the EQ).
    const checking = job.checkBeats && !job.solo && (plan.style === 'blend' || plan.style === 'filter-fade')
      ? checkDecksAsRead(plan, a.subarray(preFrames * MIX_CHANNELS), b, MIX_RATE, job.checkBeats.from, job.checkBeats.to, (frame) => ready(Math.min(frame, frames)))
      : undefined;
    const [, , , check] = await Promise.all([firstLane(), secondLane(), reading, checking]);
    if (job.solo !== 'from') out.set(b.subarray(mixedFrames * MIX_CHANNELS), mixedFrames * MIX_CHANNELS);
    if (streamRamp) {
      // Handing over to the streamed ramp: a linear fade, the complement of the ramp's fade-in.
      for (let j = 0; j < fadeFrames; j++) {
        for (let c = 0; c < MIX_CHANNELS; c++) out[(handoffFrame + j) * MIX_CHANNELS + c]! *= 1 - (j + 0.5) / fadeFrames;
      }
    } else cosineFadeOut(out, handoffFrame, fadeFrames);
    if (rider) {
      meter(laneRider ?? rider, mixedFrames, rideFrames);
      if (laneRider) rider.append(laneRider);
      rider.apply(out.subarray(0, rideFrames * MIX_CHANNELS));
    }
    return { pcm: out, frames, handoffFrame, junctionFrame, bodyFromSec: span.bodyFromSec, check };
  } finally {
    deckA.close();
    head.close();
  }
}

interface DeckEqs {
  a: ThreeBandEq[];
  b: ThreeBandEq[];
  /** A's high-pass filter, per channel (swept in a filter fade). */
  aFilter: HighPassSweep[];
}

const deckEqs = (): DeckEqs => ({
  a: [new ThreeBandEq(MIX_RATE), new ThreeBandEq(MIX_RATE)],
  b: [new ThreeBandEq(MIX_RATE), new ThreeBandEq(MIX_RATE)],
  aFilter: [new HighPassSweep(MIX_RATE), new HighPassSweep(MIX_RATE)],
});

/** How far a buffer is filled: waits for a frame to be in, or for its reader's failure. */
class Progress {
  private at: number;
  private failure?: unknown;
  private waiters: { frame: number; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(at = 0) {
    this.at = at;
  }

  advance(to: number): void {
    this.at = to;
    const due = this.waiters.filter((w) => w.frame <= to);
    this.waiters = this.waiters.filter((w) => w.frame > to);
    for (const w of due) w.resolve();
  }

  fail(err: unknown): void {
    this.failure = err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
  }

  until(frame: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (frame <= this.at) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ frame, resolve, reject }));
  }
}

/** Runs a reader that reports its progress; its failure reaches whoever waits on it. */
async function fill(progress: Progress, read: (advance: (to: number) => void) => Promise<void>): Promise<void> {
  try {
    await read((to) => progress.advance(to));
  } catch (err) {
    progress.fail(err);
    throw err;
  }
}

const SPLIT_MIN_SEC = 16;
const SPLIT_FADE_FRAMES = Math.round(0.02 * MIX_RATE);
/**
 * Each half decodes this much input past the last frame it delivers, then stops: ffmpeg's rubberband does not flush
 * its last 75–85 ms at the end of the input (measured at −5 to +6 %), and stretching what no one reads would take a
 * core from the other half.
 */
const RUN_OUT_SEC = 0.25;

/** B from frame `fromFrame` of the transition to `toFrame` (and its run-out), through rubberband on the plan's schedule. */
export function stretchedDeck(job: TransitionJob, fromFrame: number, toFrame: number, highWaterFrames?: number): DeckReader {
  const { plan } = job;
  const at = (frame: number) => inputAfter(plan.schedule, plan.entrySec, frame / MIX_RATE);
  return new DeckReader({ file: job.to.file, fromSec: at(fromFrame), toSec: at(toFrame) + RUN_OUT_SEC, schedule: plan.schedule, gain: job.to.gain, highWaterFrames });
}

/**
 * B's head through rubberband, the costliest step. Long heads are stretched as two halves in parallel (two cores),
 * each read in order and with its own run-up, joined by a 20 ms crossfade at a point whose input and output times
 * the schedule fixes; the second half, from `split` on, is read apart from the first.
 */
class StretchedHead {
  private readonly first: DeckReader;
  private readonly second?: DeckReader;
  private readonly secondFrom: number;
  /** Where the second half plays alone (the end of the head when there is only one). */
  readonly split: number;
  private fadeIn?: Promise<Float32Array>;

  constructor(job: TransitionJob, frames: number) {
    const { plan } = job;
    const open = (fromFrame: number, toFrame: number, highWaterFrames?: number) => stretchedDeck(job, fromFrame, toFrame, highWaterFrames);
    const parallel = plan.schedule.length > 0 && frames / MIX_RATE >= SPLIT_MIN_SEC;
    this.split = parallel ? Math.round(frames / 2) : frames;
    this.secondFrom = this.split - SPLIT_FADE_FRAMES;
    this.first = open(0, this.split);
    if (parallel) this.second = open(this.secondFrom, frames, frames);
  }

  /** The second half's first frames, which the crossfade needs: read once, before the rest of it. */
  private secondFadeIn(second: DeckReader): Promise<Float32Array> {
    this.fadeIn ??= second.read(SPLIT_FADE_FRAMES);
    return this.fadeIn;
  }

  /** Frames [from, from + n) of the first half (called in order), into `target` at the same frames. */
  async readFirst(target: Float32Array, from: number, n: number): Promise<void> {
    if (!this.second) return this.first.readInto(target, from, n);
    const alone = Math.max(0, Math.min(n, this.secondFrom - from));
    if (alone > 0) await this.first.readInto(target, from, alone);
    if (alone === n) return;
    const p = from + alone;
    const take = n - alone;
    const [head, tail] = await Promise.all([this.first.read(take), this.secondFadeIn(this.second)]);
    for (let k = 0; k < take; k++) {
      // Equal-gain: both halves carry the same material, nearly in phase.
      const j = p - this.secondFrom + k;
      const g = (j + 0.5) / SPLIT_FADE_FRAMES;
      for (let c = 0; c < MIX_CHANNELS; c++) target[(p + k) * MIX_CHANNELS + c] = head[k * MIX_CHANNELS + c]! * (1 - g) + tail[j * MIX_CHANNELS + c]! * g;
    }
  }

  /** Frames [from, from + n) of the second half (called in order from `split`), into `target` at the same frames. */
  async readSecond(target: Float32Array, from: number, n: number): Promise<void> {
    if (!this.second) throw new Error('the head was not split');
    await this.secondFadeIn(this.second);
    await this.second.readInto(target, from, n);
  }

  close(): void {
    this.first.close();
    this.second?.close();
  }
}
