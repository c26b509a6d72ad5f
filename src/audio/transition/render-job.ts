import { DeckReader } from '../io/deck-reader.ts';
import { MIX_CHANNELS, MIX_RATE } from '../io/mix-format.ts';
import type { VettedMedia } from '../io/vet-media.ts';
import { VinylDeck } from '../io/vinyl-deck.ts';
import { cosineFadeOut, linearFadeOut } from '../dsp/fades.ts';
import { LoudnessRider } from '../dsp/loudness-rider.ts';
import { DeckMixer, RENDER_CHUNK_FRAMES as CHUNK_FRAMES } from './deck-mixer.ts';
import type { DecksReady } from './deck-mixer.ts';
import { inputAfter, isUnity, outputDuration, playsAsVinyl } from './tempo-schedule.ts';
import { checkBars } from './bar-check.ts';
import type { BarCheck } from './bar-check.ts';
import { checkDecksAsRead, placementCheck } from './beat-check.ts';
import type { DeckCheck, RenderedDecks } from './beat-check.ts';
import type { TransitionPlan } from './transition-plan.ts';

/** The new track's stretched head hands over to its plain body with this crossfade, so the seam cannot click. */
export const JUNCTION_FADE_SEC = 0.03;
/** The loudness rider's 100 ms blocks: the second mixing lane starts on one. */
const RIDE_BLOCK_FRAMES = MIX_RATE / 10;
const LANE_WARM_UP_FRAMES = Math.round(0.4 * MIX_RATE);

export interface DeckSource {
  file: string;
  gain: number;
  bpm: number;
  /** The file as the set vetted it: the render's decks open it without probing it again on their thread. */
  media?: VettedMedia;
}

export interface TransitionJob {
  plan: TransitionPlan;
  from: DeckSource;
  to: DeckSource;
  /**
   * Each track's beats (its own track time): a beat-matched overlap is then checked on the decks as rendered (B's kick
   * against A's on every beat), and the figure returned with the render.
   */
  checkBeats?: { from: number[]; to: number[] };
  /**
   * How soon the transition plays (s), when it is rendered for a live stream (the renderer serves the soonest first and
   * updates it when the render starts). With time to spare, B is stretched with fewer decks, each an ffmpeg start-up
   * (~0.23 s of CPU with Debian's ffmpeg) and a rubberband run-up less: its head in one piece rather than two halves
   * (`SLACK_SEC`), and with more to spare its ramp too, rather than streamed as the transition plays
   * (`RAMP_AHEAD_SEC`: the ramp's work then comes before the exit). Unset (offline): due now, split and streamed.
   */
  dueInSec?: number;
}

/**
 * How a measurement renders a job (src/eval, tests, benches): given to `renderTransition` beside the job, never part of
 * what the render thread is sent, so a live set's renders cannot take them.
 */
export interface MeasuredRender {
  /** Render one deck alone, at full level with the EQ open (each deck's beats in its own audio). */
  solo?: 'from' | 'to';
  /** With `solo`: the deck through its transition EQ and gains rather than open (how bands hand over). */
  soloThroughEq?: boolean;
  /** Render B's ramp back to its own tempo too, rather than leave it to be streamed (the way it was: comparisons). */
  rampAhead?: boolean;
}

/** A job as rendered: the job, and how a measurement asked for it. */
type RenderRequest = TransitionJob & MeasuredRender;

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
  /** And the bar check: where each deck's bars start in the overlap, as heard. */
  barCheck?: BarCheck;
}

/**
 * The ramp and the render meet with a crossfade this long (equal gain: both sides are B through rubberband on the same
 * schedule, in phase).
 */
export const HANDOFF_FADE_FRAMES = Math.round(0.02 * MIX_RATE);
/** A ramp shorter than this after the mix is rendered with it: not worth a second rubberband run-up. */
const MIN_STREAMED_RAMP_SEC = 2;

/** A render due this late or later stretches B's head in one piece; one due `RAMP_AHEAD_SEC` or later, its ramp too. */
export const SLACK_SEC = 20;
export const RAMP_AHEAD_SEC = 40;
const dueBy = (job: RenderRequest, sec: number): boolean => job.dueInSec !== undefined && job.dueInSec >= sec;

/** Length of the transition in the set: the overlap, then B's ramp back to its own tempo (at least one bar of B). */
export function transitionSpan(plan: TransitionPlan, bpmB: number): { seconds: number; bodyFromSec: number } {
  const overlapInputEnd = inputAfter(plan.schedule, plan.entrySec, plan.overlapSec);
  const rampInputSec = plan.rampBars * 4 * (60 / bpmB);
  const seconds = Math.max(
    plan.overlapSec + outputDuration(plan.schedule, overlapInputEnd, overlapInputEnd + rampInputSec),
    (4 * 60) / bpmB,
  );
  return { seconds, bodyFromSec: inputAfter(plan.schedule, plan.entrySec, seconds) };
}

/** Where the render's parts fall, in frames from A's exit. */
interface RenderLayout {
  beatSecA: number;
  /** The frames rendered: up to the handoff, and the fade after it. */
  frames: number;
  handoffFrame: number;
  fadeFrames: number;
  junctionFrame: number;
  bodyFromSec: number;
  /** B's ramp back to its own tempo is streamed after the render rather than rendered. */
  streamRamp: boolean;
  /** A read before the exit (an echo-out's last beat), A read from the exit, the frames mixed, the frames ridden. */
  preFrames: number;
  aFrames: number;
  mixedFrames: number;
  rideFrames: number;
}

function renderLayout(job: RenderRequest): RenderLayout {
  const { plan } = job;
  const span = transitionSpan(plan, job.to.bpm);
  const junctionFrame = Math.round(span.seconds * MIX_RATE);
  const beatSecA = 60 / job.from.bpm;
  const echo = plan.style === 'echo-out';
  // Past the overlap (and any echo tail) B plays alone and unequalised; the loudness rider settles 3 s later.
  const overlapFrames = Math.round(plan.overlapSec * MIX_RATE) + Math.round(0.01 * MIX_RATE);
  const soloFrom = echo
    ? junctionFrame
    : Math.min(junctionFrame, overlapFrames + Math.round(beatSecA * MIX_RATE) + 3 * MIX_RATE);
  // From there on B's ramp back to its own tempo is B alone: a render due soon leaves it to be streamed with B's body
  // (a fifth of a 32-bar blend's rubberband work, and the render's critical path).
  // A vinyl ramp is resampled, a small share of the cost: rendered with the rest rather than a deck more to start.
  const streamRamp =
    !job.rampAhead &&
    !dueBy(job, RAMP_AHEAD_SEC) &&
    !isUnity(plan.schedule) &&
    !playsAsVinyl(plan.schedule) &&
    junctionFrame - soloFrom >= MIN_STREAMED_RAMP_SEC * MIX_RATE;
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
  return {
    beatSecA,
    frames,
    handoffFrame,
    fadeFrames,
    junctionFrame,
    bodyFromSec: span.bodyFromSec,
    streamRamp,
    preFrames,
    aFrames,
    mixedFrames,
    rideFrames,
  };
}

/** Reads A into `a` and B's stretched head into `b` as fast as they deliver; `ready` waits for a frame of both. */
function readDecks(
  layout: RenderLayout,
  deckA: Deck,
  head: StretchedHead,
  a: Float32Array,
  b: Float32Array,
  signal?: AbortSignal,
): { reading: Promise<unknown>; ready: DecksReady } {
  const { preFrames, aFrames, frames } = layout;
  const aRead = new Progress();
  const bFirst = new Progress();
  const bSecond = new Progress(head.split);
  const reading = Promise.all([
    fill(aRead, signal, async (advance) => {
      for (let f = 0; f < preFrames + aFrames; f += CHUNK_FRAMES) {
        const n = Math.min(CHUNK_FRAMES, preFrames + aFrames - f);
        await deckA.readInto(a, f, n);
        advance(f + n);
      }
    }),
    fill(bFirst, signal, async (advance) => {
      for (let f = 0; f < head.split; f += CHUNK_FRAMES) {
        const n = Math.min(CHUNK_FRAMES, head.split - f);
        await head.readFirst(b, f, n);
        advance(f + n);
      }
    }),
    fill(bSecond, signal, async (advance) => {
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
  return { reading, ready };
}

/** After the mix: B alone up to the handoff, the fade there, and the loudness rider's gain over the overlap. */
function finishRender(
  out: Float32Array,
  b: Float32Array,
  layout: RenderLayout,
  job: RenderRequest,
  mixer: DeckMixer,
  riders: { rider?: LoudnessRider; laneRider?: LoudnessRider },
): void {
  const { mixedFrames, handoffFrame, fadeFrames, rideFrames } = layout;
  if (job.solo !== 'from') out.set(b.subarray(mixedFrames * MIX_CHANNELS), mixedFrames * MIX_CHANNELS);
  if (layout.streamRamp) {
    // Handing over to the streamed ramp: a linear fade, the complement of the ramp's fade-in.
    linearFadeOut(out, handoffFrame, fadeFrames);
  } else cosineFadeOut(out, handoffFrame, fadeFrames);
  const { rider, laneRider } = riders;
  if (rider) {
    mixer.meter(laneRider ?? rider, mixedFrames, rideFrames);
    if (laneRider) rider.append(laneRider);
    rider.apply(out.subarray(0, rideFrames * MIX_CHANNELS));
  }
}

/** The decks the beat check reads: a beat-matched overlap's, when the job asks for the check. */
function decksToCheck(job: RenderRequest, a: Float32Array, b: Float32Array): RenderedDecks | undefined {
  const { plan, checkBeats } = job;
  if (!checkBeats || job.solo || (plan.style !== 'blend' && plan.style !== 'filter-fade')) return undefined;
  return { plan, a, b, rate: MIX_RATE, beatsA: checkBeats.from, beatsB: checkBeats.to };
}

/**
 * Renders A → B: both decks decoded (B through rubberband on its tempo schedule), each through a three-band EQ
 * driven by the style's curves, summed. Loudness gains are already applied by the decks; the master limiter comes
 * after, in the set engine. Aborting `signal` kills the decks' decoders and rejects.
 */
export async function renderTransition(
  message: TransitionJob,
  signal?: AbortSignal,
  measured: MeasuredRender = {},
): Promise<RenderedTransition> {
  const job: RenderRequest = { ...message, ...measured };
  const { plan } = job;
  const layout = renderLayout(job);
  const { frames, preFrames, aFrames, mixedFrames, rideFrames } = layout;
  // The stretched head first: it is the long pole, and each spawn holds this thread for ~10 ms.
  const head = new StretchedHead(job, frames);
  const deckA = new DeckReader({
    file: job.from.file,
    fromSec: plan.exitSec - preFrames / MIX_RATE,
    gain: job.from.gain,
    highWaterFrames: preFrames + aFrames,
    media: job.from.media,
  });
  // Closed decks end their pending reads (with silence); the next read throws the abort.
  const stop = (): void => {
    deckA.close();
    head.close();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    signal?.throwIfAborted();
    // A, then silence wherever the EQ or the rider looks past its end.
    const a = new Float32Array((preFrames + Math.max(aFrames, mixedFrames, rideFrames)) * MIX_CHANNELS);
    const b = new Float32Array(frames * MIX_CHANNELS);
    const out = new Float32Array(frames * MIX_CHANNELS);
    // The decks are read into a and b as fast as they deliver; the mixing follows.
    const { reading, ready } = readDecks(layout, deckA, head, a, b, signal);
    const mixer = new DeckMixer({
      plan,
      beatSecA: layout.beatSecA,
      solo: job.solo,
      soloThroughEq: job.soloThroughEq,
      a,
      b,
      out,
      preFrames,
    });
    // Two lanes when B is stretched as two halves: the second lane mixes the second half as soon as it is in,
    // instead of after the first half, so the end of the render is not this thread alone. Its filters (EQ, then the
    // loudness meters) run over 0.4 s each before its first frame: their impulse responses die out within 0.2 s, so
    // from that frame on their state, and the mix, is the first lane's to the last bit.
    const laneFrom = Math.ceil((head.split + 2 * LANE_WARM_UP_FRAMES) / RIDE_BLOCK_FRAMES) * RIDE_BLOCK_FRAMES;
    const lanes = plan.style !== 'echo-out' && head.split < frames && laneFrom < mixedFrames;
    const rider = rideFrames > 0 ? new LoudnessRider(MIX_RATE) : undefined;
    const laneRider = lanes && rideFrames > laneFrom ? new LoudnessRider(MIX_RATE) : undefined;
    // The beat check of a beat-matched overlap, on the decks as they are read (before the EQ).
    const decks = decksToCheck(job, a.subarray(preFrames * MIX_CHANNELS), b);
    const checking = decks ? checkDecksAsRead(decks, (frame) => ready(Math.min(frame, frames))) : undefined;
    const [, , , check] = await Promise.all([
      mixer.firstLane(ready, lanes ? laneFrom : mixedFrames, rider, rideFrames),
      lanes ? mixer.secondLane(ready, laneFrom, mixedFrames, LANE_WARM_UP_FRAMES, laneRider, rideFrames) : undefined,
      reading,
      checking,
    ]);
    signal?.throwIfAborted();
    finishRender(out, b, layout, job, mixer, { rider, laneRider });
    // Decks that could not be read against each other are each read against their own track, on the shared grid.
    const placed =
      check && check.reading === 'none' && decks ? await placementCheck(decks, job.from, job.to) : undefined;
    const barCheck = check && decks ? checkBars(decks) : undefined;
    return {
      pcm: out,
      frames,
      handoffFrame: layout.handoffFrame,
      junctionFrame: layout.junctionFrame,
      bodyFromSec: layout.bodyFromSec,
      check: placed ?? check,
      ...(barCheck ? { barCheck } : {}),
    };
  } finally {
    signal?.removeEventListener('abort', stop);
    deckA.close();
    head.close();
  }
}

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

/** Runs a reader that reports its progress, until `signal` aborts it; its failure reaches whoever waits on it. */
async function fill(
  progress: Progress,
  signal: AbortSignal | undefined,
  read: (advance: (to: number) => void) => Promise<void>,
): Promise<void> {
  try {
    await read((to) => {
      signal?.throwIfAborted();
      progress.advance(to);
    });
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

/** What the render reads of a deck. */
export type Deck = Pick<DeckReader, 'read' | 'readInto' | 'close'>;

/**
 * B from frame `fromFrame` of the transition to `toFrame` (and its run-out) on the plan's schedule: through rubberband,
 * or resampled when the schedule plays as vinyl (`playsAsVinyl`).
 */
export function stretchedDeck(job: TransitionJob, fromFrame: number, toFrame: number, highWaterFrames?: number): Deck {
  const { plan } = job;
  const at = (frame: number) => inputAfter(plan.schedule, plan.entrySec, frame / MIX_RATE);
  const opts = {
    file: job.to.file,
    fromSec: at(fromFrame),
    toSec: at(toFrame) + RUN_OUT_SEC,
    schedule: plan.schedule,
    gain: job.to.gain,
    highWaterFrames,
    media: job.to.media,
  };
  return playsAsVinyl(plan.schedule) ? new VinylDeck(opts) : new DeckReader(opts);
}

/**
 * B's head through rubberband, the costliest step. Long heads are stretched as two halves in parallel (two cores),
 * each read in order and with its own run-up, joined by a 20 ms crossfade at a point whose input and output times
 * the schedule fixes; the second half, from `split` on, is read apart from the first.
 */
class StretchedHead {
  /** Undefined in a solo render of A (a measurement), which does not hear B: its head is left silent, unread. */
  private readonly first?: Deck;
  private readonly second?: Deck;
  private readonly secondFrom: number;
  /** Where the second half plays alone (the end of the head when there is only one). */
  readonly split: number;
  private fadeIn?: Promise<Float32Array>;

  constructor(job: RenderRequest, frames: number) {
    const { plan } = job;
    const open = (fromFrame: number, toFrame: number, highWaterFrames?: number) =>
      stretchedDeck(job, fromFrame, toFrame, highWaterFrames);
    // Resampling (vinyl) is cheap enough for one piece.
    const parallel =
      plan.schedule.length > 0 &&
      !playsAsVinyl(plan.schedule) &&
      frames / MIX_RATE >= SPLIT_MIN_SEC &&
      !dueBy(job, SLACK_SEC);
    this.split = parallel ? Math.round(frames / 2) : frames;
    this.secondFrom = this.split - SPLIT_FADE_FRAMES;
    if (job.solo === 'from') return;
    this.first = open(0, this.split);
    if (parallel) this.second = open(this.secondFrom, frames, frames);
  }

  /** The second half's first frames, which the crossfade needs: read once, before the rest of it. */
  private secondFadeIn(second: Deck): Promise<Float32Array> {
    this.fadeIn ??= second.read(SPLIT_FADE_FRAMES);
    return this.fadeIn;
  }

  /** Frames [from, from + n) of the first half (called in order), into `target` at the same frames. */
  async readFirst(target: Float32Array, from: number, n: number): Promise<void> {
    if (!this.first) return;
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
      for (let c = 0; c < MIX_CHANNELS; c++)
        target[(p + k) * MIX_CHANNELS + c] = head[k * MIX_CHANNELS + c]! * (1 - g) + tail[j * MIX_CHANNELS + c]! * g;
    }
  }

  /** Frames [from, from + n) of the second half (called in order from `split`), into `target` at the same frames. */
  async readSecond(target: Float32Array, from: number, n: number): Promise<void> {
    if (!this.first) return;
    if (!this.second) throw new Error('the head was not split');
    await this.secondFadeIn(this.second);
    await this.second.readInto(target, from, n);
  }

  close(): void {
    this.first?.close();
    this.second?.close();
  }
}
