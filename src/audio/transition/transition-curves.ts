import { fadeIn, fadeOut } from '../dsp/band-splitter.ts';
import type { TransitionPlan } from './transition-plan.ts';

export interface BandGains {
  low: number;
  mid: number;
  high: number;
  /** The deck's high-pass filter, when it is swept: its cutoff, and how far it is in (0: dry, 1: filtered). */
  highPassHz?: number;
  highPassWet?: number;
}

/** The outgoing deck's high-pass in a filter fade: 20 Hz to 6 kHz, exponentially, by 85 % of the overlap. */
const SWEEP_FROM_HZ = 20;
const SWEEP_TO_HZ = 6000;
const SWEEP_END = 0.85;

export interface DeckGains {
  a: BandGains;
  b: BandGains;
}

/**
 * Where A's high-pass has passed this, A's bass and low mids are gone: B's bass (whose low band reaches a few hundred
 * Hz through its crossover) then meets only A's upper mids and highs.
 */
const BASS_GONE_HZ = 1000;

/** The high-pass cutoff of A in a filter fade, at fraction `x` of the overlap. */
export const filterFadeCutoffHz = (x: number): number =>
  SWEEP_FROM_HZ * (SWEEP_TO_HZ / SWEEP_FROM_HZ) ** Math.min(1, x / SWEEP_END);

/**
 * Where B's bass comes in, over one beat, in a filter fade: the first downbeat after A's high-pass has taken A's bass
 * and low mids away (bar 5 of 8, bar 3 of 4). Not on the last beat: from there to the end only the two decks' tops
 * would sound, a hole of 4–8 LU against either deck alone on released tracks.
 */
export function filterFadeBassInSec(plan: Pick<TransitionPlan, 'overlapSec'>, beatSec: number): number {
  const bar = 4 * beatSec;
  const gone = (SWEEP_END * Math.log(BASS_GONE_HZ / SWEEP_FROM_HZ)) / Math.log(SWEEP_TO_HZ / SWEEP_FROM_HZ);
  return Math.min(plan.overlapSec - beatSec, Math.ceil((gone * plan.overlapSec) / bar - 1e-6) * bar);
}

/**
 * EQ and volume of both decks at `t` seconds into the transition, by style. Blend: B's highs and mids come in over
 * the first half while its bass stays out; the basslines swap over the beat before the plan's swap bar, a phrase
 * boundary, so B's bass is full on its downbeat (never two at full level); A's mids then highs leave over the
 * second half. Filter fade: A's high-pass filter sweeps it out from the bottom up while B enters from the top down,
 * so the two harmonies barely meet; B's bass comes in once A's is gone (`filterFadeBassInSec`). Echo-out and cut: A stops dead on the downbeat (its echo is added by the renderer) and B is at full
 * level from its first downbeat.
 */
export function transitionGains(plan: TransitionPlan, t: number, beatSec: number): DeckGains {
  const bar = beatSec * 4;
  const full = { low: 1, mid: 1, high: 1 };
  const off = { low: 0, mid: 0, high: 0 };
  const overlap = plan.overlapSec;
  if (plan.style === 'cut' || plan.style === 'echo-out') {
    const edge = Math.min(1, Math.max(0, t / 0.005));
    const gone = 1 - edge;
    return { a: { low: gone, mid: gone, high: gone }, b: { low: edge, mid: edge, high: edge } };
  }
  if (t >= overlap) return { a: off, b: full };
  if (plan.style === 'filter-fade') {
    const x = t / overlap;
    // A's high-pass passes 1.6 kHz (the top of the harmony) at 65 % of the way, before B's mids come in at 75 %;
    // it is brought in from dry over the first beat, so the body's last sample and the fade's first one agree.
    const volume = fadeOut((x - 0.7) / 0.3);
    return {
      a: {
        low: volume,
        mid: volume,
        high: volume,
        highPassHz: filterFadeCutoffHz(x),
        highPassWet: Math.min(1, t / beatSec),
      },
      b: {
        low: fadeIn((t - filterFadeBassInSec(plan, beatSec)) / beatSec),
        mid: fadeIn((x - 0.75) / 0.25),
        high: fadeIn((x - 0.5) / 0.5),
      },
    };
  }
  const swap = plan.bassSwapBar * bar - beatSec;
  const half = overlap / 2;
  return {
    a: {
      low: fadeOut((t - swap) / beatSec),
      mid: fadeOut((t - half) / half),
      high: fadeOut((t - overlap * 0.75) / (overlap * 0.25)),
    },
    b: {
      low: fadeIn((t - swap) / beatSec),
      mid: fadeIn(t / half),
      high: fadeIn(t / half),
    },
  };
}
