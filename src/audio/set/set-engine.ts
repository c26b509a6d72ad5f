import { EventEmitter } from 'node:events';
import { renderChecked } from '../transition/check-and-replan.ts';
import { DeckReader, prepareDeck } from '../io/deck-reader.ts';
import { MIX_CHANNELS, MIX_RATE } from '../io/mix-format.ts';
import { cosineFadeOut, fadeOutStreamEnd, linearFadeOutEnd, sineFadeInOver } from '../dsp/fades.ts';
import { PeakLimiter } from '../dsp/peak-limiter.ts';
import { ResilientDeck } from '../io/resilient-deck.ts';
import { DJ_CUTS, planInStyle, sameStyle } from '../transition/mix-style.ts';
import type { MixStyle } from '../transition/mix-style.ts';
import { planTransition } from '../transition/transition-plan.ts';
import type { PlannedTrack, TransitionPlan } from '../transition/transition-plan.ts';
import type { RenderedTransition } from '../transition/render-job.ts';
import { JUNCTION_FADE_SEC } from '../transition/render-job.ts';
import { TransitionRamp } from '../transition/transition-ramp.ts';
import type { TransitionRenderer } from '../transition/transition-renderer.ts';
import { publicEngineState, releaseReplaced, samePublicState } from './set-engine-state.ts';
import type {
  Body,
  BodyExit,
  EngineState,
  SetEngineEvents,
  SetEngineState,
  UpcomingTransition,
} from './set-engine-state.ts';
import { transitionReport } from './set-report.ts';
import type { TransitionReport } from './set-report.ts';
import { barSec, setStartSec } from './set-timeline.ts';
import { DEFAULT_TARGET_LUFS, loudnessGain, transitionJob } from './transition-job.ts';

const CHUNK_FRAMES = 4800;
const END_FADE_FRAMES = Math.round(2 * MIX_RATE);
const RESUME_FADE_SEC = 0.5;
const NEXT_TRACK_RETRY_SEC = 5;
const MAX_LOST_IN_A_ROW = 3;
const CUT_FADE_FRAMES = Math.round(0.005 * MIX_RATE);
/** A new mix style re-plans the coming transition only this far ahead of it: time to render it again. */
const RESTYLE_AHEAD_SEC = 20;

export interface SetEngineOptions<T extends PlannedTrack = PlannedTrack> {
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
  nextTrack?(current: T): Promise<T | undefined>;
  /** How many transitions `report` keeps, the newest last (default: all). A live set never ends, so it keeps a few. */
  reportLimit?: number;
  /** Track time to start the first track at (resuming a set); default: its first downbeat within 2 s. */
  firstFromSec?: number;
  /**
   * How to mix, asked each time a transition is planned (default: DJ cuts, the planner's length). A planned
   * transition at least RESTYLE_AHEAD_SEC away is planned again when the answer changes.
   */
  mixStyle?(): MixStyle;
  onEvent?(event: SetEvent<T>): void;
}

/** What the set is doing, as it is produced (ahead of what listeners hear by the stream's buffer). */
export type SetEvent<T extends PlannedTrack = PlannedTrack> =
  /** `track` is now the one playing: set time `setSec` is its track time `trackSec`. Sent at each body's start too. */
  | { type: 'track'; track: T; setSec: number; trackSec: number }
  | { type: 'transition'; from: T; to: T; report: TransitionReport }
  /**
   * A decoder died while playing `track`, or the transition into it could not be rendered. `recovered`: the set plays
   * on (the deck reopened where it stopped, its body took over from a tempo ramp that could not be decoded, or the
   * transition became a cut); otherwise the set cut to the next track.
   */
  | { type: 'deck-error'; track: T; error: Error; recovered: boolean };

export type { SetEngineEvents, SetEngineState, UpcomingTransition } from './set-engine-state.ts';

/** Where a body starts (track time) and what it fades in over: the tail the transition before it left, if any. */
interface BodyEntry {
  fromSec: number;
  fadeInFrames: number;
  carry?: Float32Array;
}

/** A transition ready to play: the plan as played, and its render unless it is a cut. */
interface ReadyTransition<T extends PlannedTrack> {
  from: T;
  to: T;
  plan: TransitionPlan;
  rendered?: RenderedTransition;
}

/** The safe style when a rendered transition is not available: B starts on its entry downbeat at its own tempo. */
function fallbackCut(
  plan: TransitionPlan,
  fallback: NonNullable<TransitionPlan['fallback']> = 'not-rendered',
): TransitionPlan {
  return {
    ...plan,
    fallback,
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
  return {
    ...fallbackCut(plan, 'track-lost'),
    exitSec,
    explanation: `${a.title} could not be played on, so a cut to ${b.title}`,
  };
}

function withMixOut(t: PlannedTrack, mixOut: number): PlannedTrack {
  return { ...t, analysis: { ...t.analysis, cues: { ...t.analysis.cues, mixOut } } };
}

/** The planner's limits for a server's chosen transition length. */
const barsOf = (style: MixStyle) => (style.bars ? { bars: style.bars } : {});

/** A transition as planned: the plan, whether it is rendered, and the tracks and style it was planned from. */
interface PlannedExit {
  plan: TransitionPlan;
  render: boolean;
  planned: BodyExit<PlannedTrack>['planned'];
}

/**
 * The continuous set: body of A, transition A→B, body of B, … as one 48 kHz stereo stream. Bodies are streamed from
 * ffmpeg; each transition is rendered on the renderer's worker while the body before it plays. Everything passes
 * one look-ahead limiter. `skip()` mixes out at the next phrase, `stop()` fades out on the next downbeat (during a
 * transition, over the next beat). Its state (EngineState) owns its deck, render and ramp, released in setState alone,
 * which emits `stateChange`.
 */
export class SetEngine<T extends PlannedTrack = PlannedTrack> {
  readonly report: TransitionReport[] = [];
  private readonly queue: T[];
  private readonly opts: SetEngineOptions<T>;
  private readonly limiter = new PeakLimiter(MIX_RATE, MIX_CHANNELS);
  private framesOut = 0;
  private current: EngineState<T> = { status: 'idle' };
  /** `current` as others see it, made once per change. */
  private view: SetEngineState<T> = { status: 'idle' };
  private readonly events = new EventEmitter<SetEngineEvents<T>>();
  /** What was asked from outside and not yet done; a stop outranks a skip. */
  private request: 'skip' | 'stop' | undefined;

  constructor(tracks: T[], opts: SetEngineOptions<T>) {
    if (tracks.length === 0) throw new Error('a set needs at least one track');
    this.queue = [...tracks];
    this.opts = opts;
  }

  on<E extends keyof SetEngineEvents<T>>(event: E, listener: (...args: SetEngineEvents<T>[E]) => void): this {
    this.events.on(event, listener as never);
    return this;
  }

  off<E extends keyof SetEngineEvents<T>>(event: E, listener: (...args: SetEngineEvents<T>[E]) => void): this {
    this.events.off(event, listener as never);
    return this;
  }

  /** Set time (s) produced so far. */
  get positionSec(): number {
    return this.framesOut / MIX_RATE;
  }

  get state(): SetEngineState<T> {
    return this.view;
  }

  get upcoming(): UpcomingTransition<T> | undefined {
    return this.current.status === 'body' ? this.current.upcoming : undefined;
  }

  /** True while a transition is being played out (between two bodies). */
  get transitioning(): boolean {
    return this.current.status === 'transition';
  }

  /**
   * Mixes out at the next phrase of the current body (during a transition: of the incoming track's body), once a next
   * track is known.
   */
  skip(): void {
    if (this.request !== 'stop') this.request = 'skip';
  }

  stop(): void {
    this.request = 'stop';
  }

  /**
   * The only place the state changes: what the old state owned and the new one does not carry on (a body's deck, a
   * render, a ramp) is released here, and a change others see is told as `stateChange`.
   */
  private setState(next: EngineState<T>): void {
    const from = this.current;
    if (from.status === 'ended' || from === next) return;
    this.current = next;
    releaseReplaced(from, next);
    const was = this.view;
    const now = publicEngineState(next);
    // A change of what it owns only (a deck opened, a render let go) is not told.
    if (samePublicState(was, now)) return;
    this.view = now;
    this.events.emit('stateChange', was, now);
  }

  /** The body streaming now, with what it owns; undefined once `body` is no longer the current one. */
  private bodyState(body: Body<T>): Extract<EngineState<T>, { status: 'body' }> | undefined {
    return this.current.status === 'body' && this.current.body === body ? this.current : undefined;
  }

  /** Changes the current body's state, if `body` is still the current one. */
  private updateBody(
    body: Body<T>,
    change: Partial<Omit<Extract<EngineState<T>, { status: 'body' }>, 'status' | 'body'>>,
  ): void {
    const state = this.bodyState(body);
    if (state) this.setState({ ...state, ...change });
  }

  private exitOf(body: Body<T>): BodyExit<T> | undefined {
    return this.bodyState(body)?.exit;
  }

  /** The mix style to plan with now. */
  private get style(): MixStyle {
    return this.opts.mixStyle?.() ?? DJ_CUTS;
  }

  private gain(t: PlannedTrack): number {
    return loudnessGain(t.analysis.loudnessLufs, this.targetLufs);
  }

  private get targetLufs(): number {
    return this.opts.targetLufs ?? DEFAULT_TARGET_LUFS;
  }

  private emit(buf: Float32Array): Float32Array {
    this.limiter.process(buf);
    this.framesOut += buf.length / MIX_CHANNELS;
    return buf;
  }

  private tell(event: SetEvent<T>): void {
    this.opts.onEvent?.(event);
  }

  /** Next phrase start of `a` at least 2 bars after track time `t`, or undefined when the track ends first. */
  private nextPhraseExit(a: PlannedTrack, t: number): number | undefined {
    return a.analysis.phrases.find((p) => p >= t + 2 * barSec(a.analysis));
  }

  /**
   * The transition from `a` (playing from track time `fromSec`) to `b` in the set's mix style, leaving on a downbeat
   * at least 2 bars ahead (the planner picks the best one with room to blend); with no downbeat left to leave on, a
   * cut as `a` ends (`render: false`), so the set still goes on.
   */
  private planFrom(a: PlannedTrack, b: PlannedTrack, fromSec: number): PlannedExit {
    const style = this.style;
    const notBeforeSec = fromSec + (2 * 4 * 60) / a.analysis.bpm;
    const styled = planInStyle(a, b, style, { notBeforeSec });
    const planned = { from: styled.from, to: styled.to, style };
    if (styled.plan.exitSec >= notBeforeSec) return { plan: styled.plan, render: styled.render, planned };
    const exit = a.analysis.downbeats.findLast((d) => d > fromSec + 1);
    if (exit !== undefined) {
      const from = withMixOut(styled.from, exit);
      return { plan: planTransition(from, styled.to, barsOf(style)), render: true, planned: { ...planned, from } };
    }
    const atEnd = fallbackCut(styled.plan, 'track-ended');
    return {
      plan: {
        ...atEnd,
        exitSec: Math.max(fromSec, a.analysis.durationSec),
        explanation: `${a.title} ends before a downbeat to mix out on, so ${b.title} starts as it ends`,
      },
      render: false,
      planned,
    };
  }

  private async pickNext(a: T): Promise<T | undefined> {
    const queued = this.queue.shift();
    if (queued) return queued;
    return this.opts.nextTrack?.(a);
  }

  async *stream(): AsyncGenerator<Float32Array> {
    const first = this.queue.shift()!;
    let entry: BodyEntry = {
      fromSec: this.opts.firstFromSec ?? setStartSec(first),
      fadeInFrames: this.opts.firstFromSec ? Math.round(RESUME_FADE_SEC * MIX_RATE) : 0,
    };
    /** Tracks lost in a row: past MAX_LOST_IN_A_ROW the set ends rather than spin through unplayable tracks. */
    let lostInARow = 0;
    this.tell({ type: 'track', track: first, setSec: 0, trackSec: entry.fromSec });
    try {
      for (let a: T | undefined = first, i = 0; a; i++) {
        const body = await this.openBody(a, i, entry.fromSec);
        const end = yield* this.streamBody(body, entry);
        if (end === 'stopped') return;
        this.endBody(body, end.lost);
        lostInARow = end.lost ? lostInARow + 1 : 0;
        const transition = await this.closeBody(body, end.lost, lostInARow);
        if (!transition) break;
        const next = yield* this.playTransition(transition);
        if (next === 'stopped') return;
        entry = next;
        a = transition.to;
      }
      yield this.limiter.flush();
    } finally {
      this.setState({ status: 'ended' });
    }
  }

  /** Starts body `index` of track `a` at track time `fromSec`, with the pick of the track after it under way. */
  private async openBody(a: T, index: number, fromSec: number): Promise<Body<T>> {
    const frames = Math.round((a.analysis.durationSec - fromSec) * MIX_RATE);
    const body: Body<T> = {
      index,
      track: a,
      fromSec,
      startSec: this.positionSec,
      pos: fromSec,
      frames,
      done: 0,
      open: true,
      asking: false,
      askedAt: fromSec,
    };
    this.setState({ status: 'body', body });
    this.ask(body, this.pickNext(a));
    // A pick that needs no I/O (the given tracks) is in before the body starts.
    await new Promise((resolve) => setImmediate(resolve));
    if (index > 0) this.tell({ type: 'track', track: a, setSec: this.positionSec, trackSec: fromSec });
    return body;
  }

  /**
   * The body streamed out (or its track was lost): its deck closes, nothing is upcoming any more, and a lost track's
   * render will not be played.
   */
  private endBody(body: Body<T>, lost: Error | undefined): void {
    body.open = false;
    const exit = this.exitOf(body);
    this.updateBody(body, {
      deck: undefined,
      upcoming: undefined,
      exit: lost && exit ? { ...exit, render: undefined } : exit,
    });
  }

  /**
   * The pick (a store read, scoring) runs while the body streams, and is planned the moment it answers — even while
   * production waits for playback: a live stream must never wait for it.
   */
  private ask(body: Body<T>, pick: Promise<T | undefined>): void {
    body.asking = true;
    body.picking = pick
      // A failed pick is the picker's to report (the live set's does): here it is no answer, asked again later.
      .catch(() => undefined)
      .then((track) => {
        body.asking = false;
        body.askedAt = body.pos;
        const state = this.bodyState(body);
        if (track && body.open && state && !state.exit)
          this.planExit(body, this.planFrom(body.track, track, body.pos), track);
      });
  }

  /** Plans the body's exit into `to` and starts rendering it (a render it replaces is cancelled); `upcoming` says so. */
  private planExit(body: Body<T>, { plan, render, planned }: PlannedExit, to: T): void {
    // A stopped set plays no next transition: one rendered now would only be cut short by the renderer's close.
    if (this.request === 'stop') return;
    const a = body.track;
    // B's body deck opens on this thread after the transition: its file is vetted now, not then; the render's decks
    // take both files as vetted here (A's since its body opened) rather than probe them again on their thread.
    const vetted = Promise.all([prepareDeck(a.file), prepareDeck(to.file)]);
    // Rendered, then checked on its own decks when beat-matched (and re-planned and rendered again if they are apart).
    // A live stream's render says how soon it plays (production is paced to playback); an offline one is awaited.
    const dueInSec = this.opts.renderDeadlineMs === undefined ? {} : { dueInSec: plan.exitSec - body.pos };
    const job = { ...transitionJob(plan, a, to, this.targetLufs), ...dueInSec };
    const cancel = new AbortController();
    const withMedia = ([fromMedia, toMedia]: Awaited<typeof vetted>) => ({
      ...job,
      from: { ...job.from, media: fromMedia },
      to: { ...job.to, media: toMedia },
    });
    const rendering = render
      ? vetted.then((media) =>
          renderChecked((j) => this.opts.renderer.render(j, cancel.signal), withMedia(media), planned.from, planned.to),
        )
      : undefined;
    body.frames = Math.round((plan.exitSec - body.fromSec) * MIX_RATE);
    const upcoming: UpcomingTransition<T> = {
      from: a,
      to,
      plan,
      startSec: body.startSec + plan.exitSec - body.fromSec,
      rendered: !rendering,
    };
    this.updateBody(body, {
      exit: { plan, to, planned, ...(rendering ? { render: { rendering, cancel } } : {}) },
      upcoming,
    });
    rendering?.then(
      (checked) => {
        if (this.current.status === 'body' && this.current.upcoming === upcoming) {
          this.setState({
            ...this.current,
            upcoming: { ...upcoming, rendered: true, plan: checked.plan, check: checked.check },
          });
        }
      },
      // Failed: `upcoming` stays unrendered, the body cuts on its exit downbeat, and the error is told (a cancelled one
      // is simply not played).
      (error: unknown) => {
        if (!cancel.signal.aborted)
          this.tell({ type: 'deck-error', track: to, error: error as Error, recovered: true });
      },
    );
  }

  /** The body's transition will not be played as rendered (it came too late, the set stopped): its render is let go. */
  private dropRender(body: Body<T>, plan?: TransitionPlan): void {
    const exit = this.exitOf(body);
    if (exit) this.updateBody(body, { exit: { ...exit, plan: plan ?? exit.plan, render: undefined } });
  }

  /** Streams the body up to its exit (or the track's end); stops early when the set is stopped or the track is lost. */
  private async *streamBody(
    body: Body<T>,
    entry: BodyEntry,
  ): AsyncGenerator<Float32Array, 'stopped' | { lost?: Error }> {
    const a = body.track;
    const deck = new ResilientDeck(
      (frames) => new DeckReader({ file: a.file, fromSec: body.fromSec + frames / MIX_RATE, gain: this.gain(a) }),
      (error) => this.tell({ type: 'deck-error', track: a, error, recovered: true }),
    );
    this.updateBody(body, { deck });
    while (body.done < body.frames) {
      if (this.request === 'stop') {
        this.dropRender(body);
        yield* this.fadeOutAtNextDownbeat(deck, a, body.pos);
        return 'stopped';
      }
      this.steer(body);
      const n = Math.min(CHUNK_FRAMES, body.frames - body.done);
      let chunk: Float32Array;
      try {
        chunk = await deck.read(n);
      } catch (error) {
        // The track cannot be played on: the set goes on with the next one, as soon as there is one.
        if (!this.exitOf(body) && body.picking) await body.picking;
        return { lost: error as Error };
      }
      await this.shapeBodyChunk(body, entry, chunk, n);
      yield this.emit(chunk);
    }
    return {};
  }

  /** What the body does before its next chunk: ask again for a next track, skip, or follow a new mix style. */
  private steer(body: Body<T>): void {
    const exit = this.exitOf(body);
    if (!exit && !body.asking && this.opts.nextTrack && body.pos - body.askedAt >= NEXT_TRACK_RETRY_SEC) {
      // Nothing to play after this track yet: ask again, for what was added since.
      this.ask(body, this.opts.nextTrack(body.track));
    }
    if (this.request === 'skip' && exit) this.skipToNextPhrase(body, exit);
    else if (exit && !sameStyle(exit.planned.style, this.style) && exit.plan.exitSec - body.pos >= RESTYLE_AHEAD_SEC) {
      // The server changed its mix style: the coming transition follows it, if there is time to render it again.
      this.planExit(body, this.planFrom(body.track, exit.to, body.pos), exit.to);
    }
  }

  /** A skip: the exit moves to the next phrase, when that comes before the planned one. */
  private skipToNextPhrase(body: Body<T>, { plan, to, planned: was }: BodyExit<T>): void {
    this.request = undefined;
    const exit = this.nextPhraseExit(body.track, body.pos);
    if (exit === undefined || exit >= plan.exitSec) return;
    const planned = { from: withMixOut(was.from, exit), to: was.to, style: was.style };
    this.planExit(
      body,
      { plan: planTransition(planned.from, planned.to, barsOf(was.style)), render: true, planned },
      to,
    );
  }

  /**
   * A body chunk as heard: its last chunk cut short with a fade when the transition is not there in time, faded in
   * over what came before, faded out at the set's end.
   */
  private async shapeBodyChunk(body: Body<T>, entry: BodyEntry, chunk: Float32Array, n: number): Promise<void> {
    const exit = this.exitOf(body);
    if (exit?.render && body.done + n >= body.frames && !(await this.readyInTime(exit.render.rendering))) {
      // The transition is not there in time (or failed): cut on the exit downbeat rather than leave a gap.
      linearFadeOutEnd(chunk, CUT_FADE_FRAMES);
      this.dropRender(body, fallbackCut(exit.plan));
    }
    // The body fades in over the previous transition's fading tail (or from a cut's silence, or a resume).
    if (body.done < entry.fadeInFrames)
      sineFadeInOver(chunk, body.done, entry.fadeInFrames, entry.carry ?? new Float32Array(0));
    if (!exit) fadeOutStreamEnd(chunk, body.done, body.frames, END_FADE_FRAMES);
    body.done += n;
    body.pos += n / MIX_RATE;
  }

  /** The transition out of a finished body, reported and announced; undefined when the set ends with this body. */
  private async closeBody(
    body: Body<T>,
    lost: Error | undefined,
    lostInARow: number,
  ): Promise<ReadyTransition<T> | undefined> {
    const a = body.track;
    const exit = this.exitOf(body);
    const b = exit?.to;
    let plan = exit?.plan;
    if (lost) {
      if (!plan || !b || lostInARow >= MAX_LOST_IN_A_ROW) throw lost;
      this.tell({ type: 'deck-error', track: a, error: lost, recovered: false });
      this.limiter.fadeOutHeld();
      plan = lostTrackCut(plan, a, b, body.pos);
    }
    if (!plan || !b) return undefined;
    const startSec = this.positionSec;
    const checked = exit?.render ? await exit.render.rendering : undefined;
    if (checked) plan = checked.plan;
    const rendered = checked?.rendered;
    const endSec = startSec + (rendered ? rendered.junctionFrame / MIX_RATE : 0);
    const report = transitionReport(body.index, { startSec, endSec }, a, b, plan, {
      score: this.opts.scores?.[body.index],
      check: checked?.check,
    });
    this.report.push(report);
    if (this.report.length > (this.opts.reportLimit ?? Infinity)) this.report.shift();
    this.tell({ type: 'transition', from: a, to: b, report });
    this.tell({ type: 'track', track: b, setSec: startSec, trackSec: plan.entrySec });
    return { from: a, to: b, plan, rendered };
  }

  /** Plays the transition out; returns where B's body starts and what it fades in over. */
  private async *playTransition({
    from: a,
    to: b,
    plan,
    rendered,
  }: ReadyTransition<T>): AsyncGenerator<Float32Array, BodyEntry | 'stopped'> {
    // Fallback cut: B's body starts on its entry downbeat with a short fade-in from A's faded end.
    if (!rendered) {
      this.setState({ status: 'transition', from: a, to: b });
      return { fromSec: plan.entrySec, fadeInFrames: CUT_FADE_FRAMES, carry: new Float32Array(0) };
    }
    // B's ramp back to its own tempo, when the render leaves it to be streamed: its decoding starts now. The state owns
    // it until B's body starts.
    const ramp =
      rendered.handoffFrame < rendered.junctionFrame
        ? new TransitionRamp(transitionJob(plan, a, b, this.targetLufs), rendered, (error) =>
            this.tell({ type: 'deck-error', track: b, error, recovered: true }),
          )
        : undefined;
    this.setState({ status: 'transition', from: a, to: b, ...(ramp ? { ramp } : {}) });
    const beatFrames = Math.round((60 / a.analysis.bpm) * MIX_RATE);
    for (let f = 0; f < rendered.handoffFrame; f += CHUNK_FRAMES) {
      if (this.request === 'stop') {
        yield* this.fadeOut(rendered.pcm.slice(f * MIX_CHANNELS, (f + beatFrames) * MIX_CHANNELS));
        return 'stopped';
      }
      const end = Math.min(rendered.handoffFrame, f + CHUNK_FRAMES);
      yield this.emit(rendered.pcm.slice(f * MIX_CHANNELS, end * MIX_CHANNELS));
    }
    // Without a ramp: a copy of the 30 ms tail, so the whole rendered transition can be freed while the body plays.
    const fadeIn = ramp
      ? yield* this.playRamp(ramp, b, beatFrames)
      : {
          fadeInFrames: Math.round(JUNCTION_FADE_SEC * MIX_RATE),
          carry: rendered.pcm.slice(rendered.junctionFrame * MIX_CHANNELS),
        };
    return fadeIn === 'stopped' ? fadeIn : { fromSec: rendered.bodyFromSec, ...fadeIn };
  }

  /**
   * The set's last sound: `pcm` (what would have played) faded out from its frame `from` to its end, then what the
   * limiter holds. A stop mid-transition fades over the next beat from here, so it never waits for the overlap and
   * B's ramp to end.
   */
  private *fadeOut(pcm: Float32Array, from = 0): Generator<Float32Array> {
    cosineFadeOut(pcm, from, pcm.length / MIX_CHANNELS - from);
    yield this.emit(pcm);
    yield this.limiter.flush();
  }

  /** Streams B's ramp to the junction; returns the junction's tail, over which B's body fades in. */
  private async *playRamp(
    ramp: TransitionRamp,
    b: T,
    beatFrames: number,
  ): AsyncGenerator<Float32Array, Omit<BodyEntry, 'fromSec'> | 'stopped'> {
    try {
      for (let f = 0; f < ramp.frames; f += CHUNK_FRAMES) {
        if (this.request === 'stop') {
          yield* this.fadeOut(await ramp.read(Math.min(beatFrames, ramp.frames - f)));
          return 'stopped';
        }
        yield this.emit(await ramp.read(Math.min(CHUNK_FRAMES, ramp.frames - f)));
      }
      return { fadeInFrames: Math.round(JUNCTION_FADE_SEC * MIX_RATE), carry: await ramp.junctionTail() };
    } catch (error) {
      // B's ramp cannot be decoded: its body takes over at the junction (a B that cannot be played at all is then the
      // body's to report).
      this.tell({ type: 'deck-error', track: b, error: error as Error, recovered: true });
      this.limiter.fadeOutHeld();
      return { fadeInFrames: CUT_FADE_FRAMES, carry: new Float32Array(0) };
    }
  }

  private async readyInTime(rendering: Promise<unknown>): Promise<boolean> {
    const deadline = this.opts.renderDeadlineMs;
    const settled = rendering.then(
      () => true,
      // A failed render is as late as one not done: the caller cuts on the exit downbeat.
      () => false,
    );
    if (deadline === undefined) return settled;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadline)));
    try {
      return await Promise.race([settled, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async *fadeOutAtNextDownbeat(
    deck: Pick<DeckReader, 'read'>,
    a: PlannedTrack,
    pos: number,
  ): AsyncGenerator<Float32Array> {
    const next = a.analysis.downbeats.find((d) => d > pos + 0.05) ?? pos;
    const beat = 60 / a.analysis.bpm;
    const frames = Math.round((next - pos + beat) * MIX_RATE);
    yield* this.fadeOut(await deck.read(frames), Math.round((next - pos) * MIX_RATE));
  }
}
