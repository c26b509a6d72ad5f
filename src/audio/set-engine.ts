import { renderChecked } from './checked-render.ts';
import type { CheckedRender, TransitionCheckReport } from './checked-render.ts';
import { DeckReader, MIX_CHANNELS, MIX_RATE } from './deck-reader.ts';
import { cosineFadeOut } from './fades.ts';
import { PeakLimiter } from './peak-limiter.ts';
import { ResilientDeck } from './resilient-deck.ts';
import { planTransition } from './transition-plan.ts';
import type { PlannedTrack, TransitionPlan } from './transition-plan.ts';
import type { TransitionJob } from './transition-render.ts';
import { JUNCTION_FADE_SEC } from './transition-render.ts';
import { TransitionRamp } from './transition-ramp.ts';
import type { TransitionRenderer } from './transition-renderer.ts';

export const DEFAULT_TARGET_LUFS = -14;
const MAX_GAIN_DB = 9;
const CHUNK_FRAMES = 4800;
const END_FADE_SEC = 2;
const RESUME_FADE_SEC = 0.5;
const NEXT_TRACK_RETRY_SEC = 5;
const MAX_LOST_IN_A_ROW = 3;

export interface SetEngineOptions {
  renderer: Pick<TransitionRenderer, 'render'>;
  /**
   * How long the stream may wait, at the end of a body, for its transition to finish rendering. Offline renders wait
   * (the default); a live stream sets a deadline and cuts on the downbeat instead of ever going silent.
   */
  renderDeadlineMs?: number;
  targetLufs?: number;
  /** Mixability score of each planned pair (for the report), by index of the outgoing track. */
  scores?: number[];
  /**
   * Asked for the track after `current` when the given tracks run out, so a live set need never end. Asked again
   * every few seconds while it answers nothing and the current track can still be mixed out of.
   */
  nextTrack?: (current: PlannedTrack) => Promise<PlannedTrack | undefined>;
  /** How many transitions `report` keeps, the newest last (default: all). A live set never ends, so it keeps a few. */
  reportLimit?: number;
  /** Track time to start the first track at (resuming a set); default: its first downbeat within 2 s. */
  firstFromSec?: number;
  onEvent?: (event: SetEvent) => void;
}

/** What the set is doing, as it is produced (ahead of what listeners hear by the stream's buffer). */
export type SetEvent =
  /** `track` is now the one playing: set time `setSec` is its track time `trackSec`. Sent at each body's start too. */
  | { type: 'track'; track: PlannedTrack; setSec: number; trackSec: number }
  | { type: 'transition'; from: PlannedTrack; to: PlannedTrack; report: TransitionReport }
  /**
   * A decoder died while playing `track`. `recovered`: the track plays on (its deck reopened where it stopped, or its
   * body took over from a tempo ramp that could not be decoded); otherwise the set cut to the next track.
   */
  | { type: 'deck-error'; track: PlannedTrack; error: Error; recovered: boolean };

/** The next transition, while one is planned. */
export interface UpcomingTransition {
  from: PlannedTrack;
  to: PlannedTrack;
  plan: TransitionPlan;
  startSec: number;
  rendered: boolean;
  /** Once rendered: the beat check of a beat-matched transition (`plan` is then the re-plan, if it asked for one). */
  check?: TransitionCheckReport;
}

export interface TransitionReport {
  index: number;
  /** Set time (s) where the transition starts: A's exit downbeat, where B's entry downbeat lands. */
  startSec: number;
  endSec: number;
  from: { title: string; bpm: number; key: string; camelot: string };
  to: { title: string; bpm: number; key: string; camelot: string };
  style: TransitionPlan['style'];
  overlapBars: number;
  rampBars: number;
  stretchPct: number;
  score?: number;
  explanation: string;
  /** The beat check of a beat-matched transition, made on its rendered decks before it played. */
  check?: TransitionCheckReport;
  plan: TransitionPlan;
}

/** The set starts on the first track's first downbeat when that comes within 2 s: no lead-in silence. */
export function setStartSec(first: PlannedTrack): number {
  const downbeat = first.analysis.downbeats[0] ?? 0;
  return downbeat < 2 ? downbeat : 0;
}

/** Linear gain that brings a track to the target loudness (at most +9 dB: the limiter is not a compressor). */
export function loudnessGain(trackLufs: number, targetLufs: number): number {
  return 10 ** (Math.min(MAX_GAIN_DB, targetLufs - trackLufs) / 20);
}

const CUT_FADE_FRAMES = Math.round(0.005 * MIX_RATE);

function fadeLast(chunk: Float32Array, frames: number): void {
  const total = chunk.length / MIX_CHANNELS;
  for (let f = Math.max(0, total - frames); f < total; f++) {
    const g = (total - f - 1) / frames;
    for (let c = 0; c < MIX_CHANNELS; c++) chunk[f * MIX_CHANNELS + c]! *= g;
  }
}

/** The safe style when a rendered transition is not available: B starts on its entry downbeat at its own tempo. */
function fallbackCut(plan: TransitionPlan): TransitionPlan {
  return {
    ...plan,
    style: 'cut',
    overlapBars: 0,
    overlapSec: 0,
    tempo: 1,
    stretchPct: 0,
    rampBars: 0,
    schedule: [],
    bassSwapBar: 0,
    explanation: `the ${plan.style} was not rendered in time, so a cut on the downbeat instead`,
  };
}

/** A cut to B now, from a track that cannot be played on (its decoder keeps dying, its file is gone). */
function lostTrackCut(plan: TransitionPlan, a: PlannedTrack, b: PlannedTrack, exitSec: number): TransitionPlan {
  return { ...fallbackCut(plan), exitSec, explanation: `${a.title} could not be played on, so a cut to ${b.title}` };
}

function withMixOut(t: PlannedTrack, mixOut: number): PlannedTrack {
  return { ...t, analysis: { ...t.analysis, cues: { ...t.analysis.cues, mixOut } } };
}

/** The last track's final seconds fade out, so the set ends cleanly. */
function fadeEnd(chunk: Float32Array, firstFrame: number, totalFrames: number): void {
  const fadeFrames = Math.round(END_FADE_SEC * MIX_RATE);
  for (let f = 0; f < chunk.length / MIX_CHANNELS; f++) {
    const left = totalFrames - (firstFrame + f);
    if (left >= fadeFrames) continue;
    const g = Math.max(0, left / fadeFrames);
    for (let c = 0; c < MIX_CHANNELS; c++) chunk[f * MIX_CHANNELS + c]! *= g * g;
  }
}

export const describeDeck = (t: PlannedTrack) => ({ title: t.title, bpm: t.analysis.bpm, key: `${t.analysis.key} ${t.analysis.scale}`, camelot: t.analysis.camelot });

/**
 * The continuous set: body of A, transition A→B, body of B, … as one 48 kHz stereo stream. Bodies are streamed from
 * ffmpeg; each transition is rendered on the renderer's worker while the body before it plays. Everything passes
 * one look-ahead limiter. `skip()` mixes out at the next phrase, `stop()` fades out on the next downbeat.
 */
export class SetEngine {
  readonly report: TransitionReport[] = [];
  private readonly queue: PlannedTrack[];
  private readonly opts: SetEngineOptions;
  private readonly limiter = new PeakLimiter(MIX_RATE, MIX_CHANNELS);
  private framesOut = 0;
  private skipRequested = false;
  private stopRequested = false;
  private next: UpcomingTransition | undefined;
  private inTransition = false;

  constructor(tracks: PlannedTrack[], opts: SetEngineOptions) {
    if (tracks.length === 0) throw new Error('a set needs at least one track');
    this.queue = [...tracks];
    this.opts = opts;
  }

  /** Set time (s) produced so far. */
  get positionSec(): number {
    return this.framesOut / MIX_RATE;
  }

  get upcoming(): UpcomingTransition | undefined {
    return this.next;
  }

  /** True while a transition is being played out (between two bodies). */
  get transitioning(): boolean {
    return this.inTransition;
  }

  /**
   * Mixes out at the next phrase of the current body (during a transition: of the incoming track's body), once a next
   * track is known.
   */
  skip(): void {
    this.skipRequested = true;
  }

  stop(): void {
    this.stopRequested = true;
  }

  private gain(t: PlannedTrack): number {
    return loudnessGain(t.analysis.loudnessLufs, this.opts.targetLufs ?? DEFAULT_TARGET_LUFS);
  }

  private job(plan: TransitionPlan, a: PlannedTrack, b: PlannedTrack): TransitionJob {
    return { plan, from: { file: a.file, gain: this.gain(a), bpm: a.analysis.bpm }, to: { file: b.file, gain: this.gain(b), bpm: b.analysis.bpm } };
  }

  private emit(buf: Float32Array): Float32Array {
    this.limiter.process(buf);
    this.framesOut += buf.length / MIX_CHANNELS;
    return buf;
  }

  private tell(event: SetEvent): void {
    this.opts.onEvent?.(event);
  }

  /** Next phrase start of `a` at least 2 bars after track time `t`, or undefined when the track ends first. */
  private nextPhraseExit(a: PlannedTrack, t: number): number | undefined {
    const bar = (4 * 60) / a.analysis.bpm;
    return a.analysis.phrases.find((p) => p >= t + 2 * bar);
  }

  /**
   * The transition from `a` (playing from track time `fromSec`) to `b`, leaving on a downbeat at least 2 bars ahead
   * (the planner picks the best one with room to blend); with no downbeat left to leave on, a cut as `a` ends
   * (`render: false`), so the set still goes on.
   */
  private planFrom(a: PlannedTrack, b: PlannedTrack, fromSec: number): { plan: TransitionPlan; render: boolean } {
    const notBeforeSec = fromSec + (2 * 4 * 60) / a.analysis.bpm;
    const plan = planTransition(a, b, { notBeforeSec });
    if (plan.exitSec >= notBeforeSec) return { plan, render: true };
    const exit = a.analysis.downbeats.findLast((d) => d > fromSec + 1);
    if (exit !== undefined) return { plan: planTransition(withMixOut(a, exit), b), render: true };
    const atEnd = fallbackCut(plan);
    return {
      plan: { ...atEnd, exitSec: Math.max(fromSec, a.analysis.durationSec), explanation: `${a.title} ends before a downbeat to mix out on, so ${b.title} starts as it ends` },
      render: false,
    };
  }

  private async pickNext(a: PlannedTrack): Promise<PlannedTrack | undefined> {
    const queued = this.queue.shift();
    if (queued) return queued;
    return this.opts.nextTrack?.(a);
  }

  async *stream(): AsyncGenerator<Float32Array> {
    const first = this.queue.shift()!;
    let fromSec = this.opts.firstFromSec ?? setStartSec(first);
    let fadeInFrames = this.opts.firstFromSec ? Math.round(RESUME_FADE_SEC * MIX_RATE) : 0;
    let carry: Float32Array | undefined;
    let i = 0;
    /** Tracks lost in a row: past MAX_LOST_IN_A_ROW the set ends rather than spin through unplayable tracks. */
    let lostInARow = 0;
    this.tell({ type: 'track', track: first, setSec: 0, trackSec: fromSec });
    for (let a: PlannedTrack | undefined = first; a; i++) {
      let plan: TransitionPlan | undefined;
      let rendering: Promise<CheckedRender> | undefined;
      let b: PlannedTrack | undefined;
      const bodyStartSec = this.positionSec;
      let pos = fromSec;
      let bodyFrames = Math.round((a.analysis.durationSec - fromSec) * MIX_RATE);
      let done = 0;
      let bodyOpen = true;
      const start = ({ plan: p, render }: { plan: TransitionPlan; render: boolean }, to: PlannedTrack): void => {
        plan = p;
        b = to;
        // Rendered, then checked on its own decks when beat-matched (and re-planned and rendered again if they are apart).
        rendering = render ? renderChecked((job) => this.opts.renderer.render(job), this.job(p, a!, to), a!, to) : undefined;
        rendering?.catch(() => undefined);
        bodyFrames = Math.round((p.exitSec - fromSec) * MIX_RATE);
        const startSec = bodyStartSec + p.exitSec - fromSec;
        const upcoming: UpcomingTransition = { from: a!, to, plan: p, startSec, rendered: !rendering };
        this.next = upcoming;
        rendering?.then((checked) => Object.assign(upcoming, { rendered: true, plan: checked.plan, check: checked.check }), () => undefined);
      };
      // The pick (a store read, scoring) runs while the body streams, and is planned the moment it answers — even
      // while production waits for playback: a live stream must never wait for it.
      let asking = false;
      let askedAt = pos;
      let picking: Promise<void> | undefined;
      const from = a;
      const ask = (pick: Promise<PlannedTrack | undefined>): void => {
        asking = true;
        picking = pick
          .catch(() => undefined)
          .then((track) => {
            asking = false;
            askedAt = pos;
            if (track && bodyOpen && !plan) start(this.planFrom(from, track, pos), track);
          });
      };
      this.next = undefined;
      ask(this.pickNext(a));
      // A pick that needs no I/O (the given tracks) is in before the body starts.
      await new Promise((resolve) => setImmediate(resolve));
      if (i > 0) this.tell({ type: 'track', track: a, setSec: this.positionSec, trackSec: fromSec });
      const bodyFrom = fromSec;
      const deck = new ResilientDeck(
        (frames) => new DeckReader({ file: from.file, fromSec: bodyFrom + frames / MIX_RATE, gain: this.gain(from) }),
        (error) => this.tell({ type: 'deck-error', track: from, error, recovered: true }),
      );
      let lost: Error | undefined;
      try {
        while (done < bodyFrames) {
          if (this.stopRequested) {
            yield* this.fadeOutAtNextDownbeat(deck, a, pos);
            return;
          }
          if (!plan && !asking && this.opts.nextTrack && pos - askedAt >= NEXT_TRACK_RETRY_SEC) {
            // Nothing to play after this track yet: ask again, for what was added since.
            ask(this.opts.nextTrack(a));
          }
          if (this.skipRequested && plan && b) {
            this.skipRequested = false;
            const exit = this.nextPhraseExit(a, pos);
            if (exit !== undefined && exit < plan.exitSec) start({ plan: planTransition(withMixOut(a, exit), b), render: true }, b);
          }
          const n = Math.min(CHUNK_FRAMES, bodyFrames - done);
          let chunk: Float32Array;
          try {
            chunk = await deck.read(n);
          } catch (error) {
            // The track cannot be played on: the set goes on with the next one, as soon as there is one.
            lost = error as Error;
            if (!plan && picking) await picking;
            break;
          }
          if (plan && rendering && done + n >= bodyFrames && !(await this.readyInTime(rendering))) {
            // The transition is not there in time (or failed): cut on the exit downbeat rather than leave a gap.
            fadeLast(chunk, CUT_FADE_FRAMES);
            plan = fallbackCut(plan);
            rendering = undefined;
          }
          if (done < fadeInFrames) {
            // The body fades in over the previous transition's fading tail (or from a cut's silence, or a resume).
            const tail = carry ?? new Float32Array(0);
            for (let f = 0; f < Math.min(n, fadeInFrames - done); f++) {
              const g = Math.sin((Math.PI / 2) * ((done + f) / fadeInFrames));
              for (let c = 0; c < MIX_CHANNELS; c++) {
                const k = f * MIX_CHANNELS + c;
                chunk[k] = chunk[k]! * g + (tail[(done + f) * MIX_CHANNELS + c] ?? 0);
              }
            }
          }
          if (!plan) fadeEnd(chunk, done, bodyFrames);
          done += n;
          pos += n / MIX_RATE;
          yield this.emit(chunk);
        }
      } finally {
        bodyOpen = false;
        deck.close();
      }
      this.next = undefined;
      lostInARow = lost ? lostInARow + 1 : 0;
      if (lost) {
        if (!plan || !b || lostInARow >= MAX_LOST_IN_A_ROW) throw lost;
        this.tell({ type: 'deck-error', track: a, error: lost, recovered: false });
        this.limiter.fadeOutHeld();
        plan = lostTrackCut(plan, a, b, pos);
        rendering = undefined;
      }
      if (!plan || !b) break;
      const startSec = this.positionSec;
      const checked = rendering ? await rendering : undefined;
      if (checked) plan = checked.plan;
      const rendered = checked?.rendered;
      const report: TransitionReport = {
        index: i,
        startSec,
        endSec: startSec + (rendered ? rendered.junctionFrame / MIX_RATE : 0),
        from: describeDeck(a),
        to: describeDeck(b),
        style: plan.style,
        overlapBars: plan.overlapBars,
        rampBars: plan.rampBars,
        stretchPct: Number(plan.stretchPct.toFixed(2)),
        score: this.opts.scores?.[i],
        explanation: plan.explanation,
        check: checked?.check,
        plan,
      };
      this.report.push(report);
      if (this.report.length > (this.opts.reportLimit ?? Infinity)) this.report.shift();
      this.tell({ type: 'transition', from: a, to: b, report });
      this.tell({ type: 'track', track: b, setSec: startSec, trackSec: plan.entrySec });
      this.inTransition = true;
      if (rendered) {
        // B's ramp back to its own tempo, when the render leaves it to be streamed: its decoding starts now.
        const to = b;
        const ramp = rendered.handoffFrame < rendered.junctionFrame
          ? new TransitionRamp(this.job(plan, a, b), rendered, (error) => this.tell({ type: 'deck-error', track: to, error, recovered: true }))
          : undefined;
        fadeInFrames = Math.round(JUNCTION_FADE_SEC * MIX_RATE);
        try {
          for (let f = 0; f < rendered.handoffFrame; f += CHUNK_FRAMES) {
            const end = Math.min(rendered.handoffFrame, f + CHUNK_FRAMES);
            yield this.emit(rendered.pcm.slice(f * MIX_CHANNELS, end * MIX_CHANNELS));
          }
          if (ramp) {
            try {
              for (let f = 0; f < ramp.frames; f += CHUNK_FRAMES) yield this.emit(await ramp.read(Math.min(CHUNK_FRAMES, ramp.frames - f)));
              carry = await ramp.junctionTail();
            } catch (error) {
              // B's ramp cannot be decoded: its body takes over at the junction (a B that cannot be played at all is
              // then the body's to report).
              this.tell({ type: 'deck-error', track: to, error: error as Error, recovered: true });
              this.limiter.fadeOutHeld();
              carry = new Float32Array(0);
              fadeInFrames = CUT_FADE_FRAMES;
            }
          } else {
            // A copy of the 30 ms tail, so the whole rendered transition can be freed while the body plays.
            carry = rendered.pcm.slice(rendered.junctionFrame * MIX_CHANNELS);
          }
        } finally {
          ramp?.close();
        }
        fromSec = rendered.bodyFromSec;
      } else {
        // Fallback cut: B's body starts on its entry downbeat with a short fade-in from A's faded end.
        carry = new Float32Array(0);
        fadeInFrames = CUT_FADE_FRAMES;
        fromSec = plan.entrySec;
      }
      this.inTransition = false;
      a = b;
    }
    yield this.limiter.flush();
  }

  private async readyInTime(rendering: Promise<unknown>): Promise<boolean> {
    const deadline = this.opts.renderDeadlineMs;
    const settled = rendering.then(() => true, () => false);
    if (deadline === undefined) return settled;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadline)));
    try {
      return await Promise.race([settled, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async *fadeOutAtNextDownbeat(deck: Pick<DeckReader, 'read'>, a: PlannedTrack, pos: number): AsyncGenerator<Float32Array> {
    const next = a.analysis.downbeats.find((d) => d > pos + 0.05) ?? pos;
    const beat = 60 / a.analysis.bpm;
    const frames = Math.round((next - pos + beat) * MIX_RATE);
    const fadeStart = Math.round((next - pos) * MIX_RATE);
    const buf = await deck.read(frames);
    cosineFadeOut(buf, fadeStart, frames - fadeStart);
    yield this.emit(buf);
    yield this.limiter.flush();
  }
}
