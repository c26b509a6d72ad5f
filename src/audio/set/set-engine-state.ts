import type { CheckedRender, TransitionCheckReport } from '../transition/check-and-replan.ts';
import type { ResilientDeck } from '../io/resilient-deck.ts';
import type { MixStyle } from '../transition/mix-style.ts';
import type { PlannedTrack, TransitionPlan } from '../transition/transition-plan.ts';
import type { TransitionRamp } from '../transition/transition-ramp.ts';

/** The next transition, while one is planned. */
export interface UpcomingTransition<T extends PlannedTrack = PlannedTrack> {
  from: T;
  to: T;
  plan: TransitionPlan;
  startSec: number;
  rendered: boolean;
  /** Once rendered: the beat check of a beat-matched transition (`plan` is then the re-plan, if it asked for one). */
  check?: TransitionCheckReport;
}

/**
 * Where the engine is in the set, as others see it: streaming a track's body (with the transition out of it once
 * planned), playing a transition out, or done.
 */
export type SetEngineState<T extends PlannedTrack = PlannedTrack> =
  | { status: 'idle' }
  | { status: 'body'; track: T; upcoming?: UpcomingTransition<T> }
  | { status: 'transition'; from: T; to: T }
  | { status: 'ended' };

export interface SetEngineEvents<T extends PlannedTrack = PlannedTrack> {
  /** The engine's state changed (a body started, its transition was planned or rendered, a transition started, the end). */
  stateChange: [from: SetEngineState<T>, to: SetEngineState<T>];
}

/** One body's progress as it streams: where it started, how far it got, and the pick of the track after it. */
export interface Body<T extends PlannedTrack> {
  index: number;
  track: T;
  /** Track time the body started at, and the set time it started at. */
  fromSec: number;
  startSec: number;
  /** Track time reached. */
  pos: number;
  /** Frames to stream: up to the planned exit, or to the track's end while nothing follows. */
  frames: number;
  done: number;
  /** Still streaming: a pick that answers later is planned. */
  open: boolean;
  /** The pick of the next track in flight, and the track time of the last answer. */
  asking: boolean;
  askedAt: number;
  picking?: Promise<void>;
}

/** A transition's render in flight, and what cancels it when it will not be played. */
export interface ExitRender {
  rendering: Promise<CheckedRender>;
  cancel: AbortController;
}

/** The way out of a body: the plan into the next track, the tracks and style it was planned from, its render. */
export interface BodyExit<T extends PlannedTrack> {
  plan: TransitionPlan;
  to: T;
  /** The tracks as the plan was made from them (their cues moved by the mix style), and that style. */
  planned: { from: PlannedTrack; to: PlannedTrack; style: MixStyle };
  render?: ExitRender;
}

/**
 * The engine's state with what it owns. `body` owns its deck (once streaming) and its exit's render; `transition`
 * the ramp it streams B from (its render has settled). `ended` owns nothing.
 */
export type EngineState<T extends PlannedTrack> =
  | { status: 'idle' }
  | { status: 'body'; body: Body<T>; deck?: ResilientDeck; exit?: BodyExit<T>; upcoming?: UpcomingTransition<T> }
  | { status: 'transition'; from: T; to: T; ramp?: TransitionRamp }
  | { status: 'ended' };

export function publicEngineState<T extends PlannedTrack>(state: EngineState<T>): SetEngineState<T> {
  if (state.status === 'body')
    return state.upcoming
      ? { status: 'body', track: state.body.track, upcoming: state.upcoming }
      : { status: 'body', track: state.body.track };
  if (state.status === 'transition') return { status: 'transition', from: state.from, to: state.to };
  return state;
}

/** Same status, same tracks, the same upcoming transition. */
export function samePublicState<T extends PlannedTrack>(a: SetEngineState<T>, b: SetEngineState<T>): boolean {
  const fields = (s: SetEngineState<T>): unknown[] => Object.values(s);
  return (
    a.status === b.status && fields(a).length === fields(b).length && fields(a).every((v, i) => v === fields(b)[i])
  );
}

const deckOf = <T extends PlannedTrack>(s: EngineState<T>) => (s.status === 'body' ? s.deck : undefined);
const renderOf = <T extends PlannedTrack>(s: EngineState<T>) => (s.status === 'body' ? s.exit?.render : undefined);
const rampOf = <T extends PlannedTrack>(s: EngineState<T>) => (s.status === 'transition' ? s.ramp : undefined);

/**
 * Releases what `from` owned and `to` does not carry on: its deck's decoder, its render (cancelled: the renderer's
 * time goes to transitions that will play; a settled one is not affected), its ramp's decoder. The one place the
 * engine's resources are let go.
 */
export function releaseReplaced<T extends PlannedTrack>(from: EngineState<T>, to: EngineState<T>): void {
  const deck = deckOf(from);
  if (deck && deck !== deckOf(to)) deck.close();
  const render = renderOf(from);
  if (render && render !== renderOf(to)) render.cancel.abort();
  const ramp = rampOf(from);
  if (ramp && ramp !== rampOf(to)) ramp.close();
}
