import { MIX_CHANNELS } from '../io/mix-format.ts';
import { beatKicks, judgeKicks, pairBeats, pooledPhase, summarizePhase } from './deck-phase.ts';
import type { BeatKick, BeatPhase, PhaseSummary } from './deck-phase.ts';
import { placementPhase } from './deck-placement.ts';
import type { PlacedSource } from './deck-placement.ts';
import { outputDuration } from './tempo-schedule.ts';
import type { TransitionPlan } from './transition-plan.ts';

/** A beat-matched overlap passes when its decks' beats are this close: the median, and every single beat. */
export const CHECK_MEDIAN_MS = 5;
export const CHECK_MAX_MS = 20;
/** Beats profiled at a time while a render is read (whole bars). */
const CHECK_BATCH = 16;

/** What the beat and bar checks read: a render's own decks, and each track's beats. */
export interface RenderedDecks {
  plan: TransitionPlan;
  /** Interleaved stereo at `rate` from A's exit: A unstretched, B through rubberband, both before the EQ. */
  a: Float32Array;
  b: Float32Array;
  rate: number;
  /** Each track's beats in its own track time (`beatsInTransition` places them in the overlap). */
  beatsA: number[];
  beatsB: number[];
}

export interface DeckCheck extends PhaseSummary {
  passed: boolean;
  /** Every compared bar (A's beat in seconds from the exit, B's kicks against A's in ms), rounded. */
  errors: BeatPhase[];
  /**
   * How the decks were read: bar by bar; `pooled` (fewer than `minCheckBars` bars carried kicks on both decks, so each
   * deck's kicks were folded over the whole overlap: `errors` holds that one reading, its `beats` the kicks of the deck
   * with fewer); each against its own source on the shared grid (`placement`: neither cross-deck reading could be
   * made); or `none` (fewer bars than `minCheckBars`, and no other reading).
   */
  reading: 'bars' | 'pooled' | 'placement' | 'none';
  /** What the check cost on the render's thread (ms). */
  costMs: number;
}

export const passes = (s: PhaseSummary): boolean => s.medianAbsMs <= CHECK_MEDIAN_MS && s.maxAbsMs <= CHECK_MAX_MS;

/**
 * Bars a check must have read before it may re-plan on them: 4, or half the overlap when that is shorter (a 4-bar
 * blend: 2). Fewer is not evidence of misalignment (one bar at 5.5 ms sent farm → bay to an echo-out): with fewer, the
 * check reads the decks' pooled kicks instead.
 */
export const minCheckBars = (overlapBars: number): number => Math.max(1, Math.min(4, Math.ceil(overlapBars / 2)));

/** A's and B's beats (their own track times) in the transition's time: A's from its exit, B's through its schedule. */
export function beatsInTransition(
  plan: TransitionPlan,
  beatsA: number[],
  beatsB: number[],
): { a: number[]; b: number[] } {
  const end = plan.overlapSec - 0.05;
  return {
    a: beatsA.filter((t) => t >= plan.exitSec - 1e-3 && t - plan.exitSec < end).map((t) => t - plan.exitSec),
    b: beatsB
      .filter((t) => t >= plan.entrySec - 1e-3)
      .map((t) => outputDuration(plan.schedule, plan.entrySec, t))
      .filter((t) => t < end),
  };
}

function verdictOf(errors: BeatPhase[], costMs: number, reading: DeckCheck['reading']): DeckCheck {
  const summary = summarizePhase(errors);
  const rounded = errors.map((e) => ({
    atSec: Number(e.atSec.toFixed(3)),
    errorMs: Number(e.errorMs.toFixed(2)),
    ...(e.beats ? { beats: e.beats } : {}),
  }));
  return { ...summary, passed: passes(summary), errors: rounded, reading, costMs };
}

/** Bar by bar where enough bars carry kicks on both decks; else the pooled reading, when both decks have kicks. */
function judge(
  plan: TransitionPlan,
  pairs: { ta: number; bar: number }[],
  kicksA: BeatKick[],
  kicksB: BeatKick[],
  rate: number,
  costMs: number,
): DeckCheck {
  const t0 = performance.now();
  const bars = judgeKicks(pairs, kicksA, kicksB, undefined, undefined, rate);
  const pooled =
    bars.length < minCheckBars(plan.overlapBars)
      ? pooledPhase(pairs, kicksA, kicksB, undefined, undefined, rate)
      : undefined;
  const cost = costMs + performance.now() - t0;
  if (pooled) return verdictOf([pooled], cost, 'pooled');
  return verdictOf(bars, cost, bars.length >= minCheckBars(plan.overlapBars) ? 'bars' : 'none');
}

/** When the decks could not be read against each other: each against its own source (`placementPhase`). */
export async function placementCheck(
  decks: RenderedDecks,
  from: PlacedSource,
  to: PlacedSource,
): Promise<DeckCheck | undefined> {
  const t0 = performance.now();
  const placed = await placementPhase(decks.plan, decks.a, decks.b, from, to, decks.beatsA, decks.beatsB);
  return placed ? verdictOf([placed], performance.now() - t0, 'placement') : undefined;
}

/**
 * The same while the render is under way: each batch of beats is measured as soon as both decks are in past it
 * (`ready`), in the time the render's thread would spend waiting for rubberband.
 */
export async function checkDecksAsRead(
  decks: RenderedDecks,
  ready: (frame: number) => Promise<unknown>,
): Promise<DeckCheck> {
  const { plan, a, b, rate } = decks;
  const beats = beatsInTransition(plan, decks.beatsA, decks.beatsB);
  const pairs = pairBeats(beats.a, beats.b);
  const kicksA: BeatKick[] = [];
  const kicksB: BeatKick[] = [];
  let cost = 0;
  for (let i = 0; i < pairs.length; i += CHECK_BATCH) {
    const batch = pairs.slice(i, i + CHECK_BATCH);
    await ready(Math.ceil((batch.at(-1)!.ta + 0.15) * rate));
    const t0 = performance.now();
    // Both decks on A's beats: the grid B is meant to play on.
    kicksA.push(
      ...beatKicks(
        a,
        rate,
        batch.map((x) => x.ta),
        MIX_CHANNELS,
      ),
    );
    kicksB.push(
      ...beatKicks(
        b,
        rate,
        batch.map((x) => x.ta),
        MIX_CHANNELS,
      ),
    );
    cost += performance.now() - t0;
  }
  return judge(plan, pairs, kicksA, kicksB, rate, cost);
}

/**
 * The longest phrase-length start of the overlap (16 or 8 bars of A) whose beats pass: where the decks drift apart,
 * a shorter blend ends before they do. None when they are apart from the start.
 */
export function passingOverlapBars(check: DeckCheck, plan: TransitionPlan, beatSecA: number): number | undefined {
  for (let bars = plan.overlapBars / 2; bars >= 8; bars /= 2) {
    // Bars that start and end inside the shorter overlap.
    const within = check.errors.filter((e) => e.atSec < (bars - 1) * 4 * beatSecA + 0.5 * beatSecA);
    // Enough bars to vouch for it: half of them.
    if (within.length >= bars / 2 && passes(summarizePhase(within))) return bars;
  }
  return undefined;
}
