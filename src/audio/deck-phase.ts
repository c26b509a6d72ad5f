import { fineOnsetEnvelope, lowBand, snapOnset } from './fine-onsets.ts';
import { median } from './stats.ts';

/**
 * How far apart two decks play their beats, measured on the decks as rendered (each alone, EQ open): the renderer's
 * check before a beat-matched transition plays and `bench:mix` both use this.
 */

const BLOCK = 32;
/** Each deck's attack is the strongest onset this close to its grid's beat (a grid 30 ms off shows as ~25 ms). */
export const SNAP_SEC = 0.025;
/** Filter run-up before each window (the 150 Hz low-pass settles within 10 ms). */
const WARM_UP_SEC = 0.02;

export interface BeatKick {
  /** Strength of the low band's strongest onset near the beat (0 when none): is there a kick on this beat. */
  strength: number;
  /** Where the attack is: the strongest full-band onset near the beat (s, in the deck's time). */
  attackSec: number;
}

/** `channels` interleaved from `from` to `to` (frames), averaged to one. */
function monoOf(deck: Float32Array, channels: number, from: number, to: number): Float32Array {
  if (channels === 1) return deck.subarray(from, to);
  const out = new Float32Array(to - from);
  for (let f = from; f < to; f++) {
    let x = 0;
    for (let c = 0; c < channels; c++) x += deck[f * channels + c]!;
    out[f - from] = x / channels;
  }
  return out;
}

/**
 * The kick and the attack at each beat (times in the deck's own seconds; `channels` interleaved at `rate`), each
 * found in a window of its own: only those windows are filtered, so a 32-bar overlap costs a few tens of ms.
 */
export function beatKicks(deck: Float32Array, rate: number, beats: number[], channels = 1): BeatKick[] {
  const length = Math.floor(deck.length / channels);
  const step = BLOCK / rate;
  return beats.map((t) => {
    // The window's blocks start on the deck's own block grid, so a beat is measured as in an envelope of the whole deck.
    const from = Math.max(0, Math.floor(((t - SNAP_SEC - WARM_UP_SEC) * rate) / BLOCK) * BLOCK);
    const to = Math.min(length, Math.ceil((t + SNAP_SEC) * rate) + 3 * BLOCK);
    if (to - from < 4 * BLOCK || t - SNAP_SEC < 0) return { strength: 0, attackSec: t };
    const segment = monoOf(deck, channels, from, to);
    const at = t - from / rate;
    const kicks = fineOnsetEnvelope(lowBand(segment, rate), BLOCK);
    // The filter's run-up is not searched.
    kicks.fill(0, 0, Math.min(kicks.length, Math.floor((at - SNAP_SEC) / step)));
    const kick = snapOnset(kicks, step, at, SNAP_SEC);
    const attack = snapOnset(fineOnsetEnvelope(segment, BLOCK), step, at, SNAP_SEC);
    return { strength: kick.strength, attackSec: from / rate + attack.time };
  });
}

/** How strong a deck's kick usually is on its beats: the median over the beats given (a whole track, or an overlap). */
export function kickReference(kicks: BeatKick[]): number {
  return median(kicks.map((k) => k.strength));
}

export interface BeatPhase {
  /** A's beat, in seconds from the start of the decks. */
  atSec: number;
  /** Where B's kick is against A's (ms; positive: B late). */
  errorMs: number;
}

export interface DeckPair {
  /** Both decks from the same instant (A's exit downbeat), `channels` interleaved at `rate`. */
  a: Float32Array;
  b: Float32Array;
  rate: number;
  channels?: number;
  /** Each deck's beats in that same time, up to where the overlap ends. */
  beatsA: number[];
  beatsB: number[];
  /**
   * Each deck's usual kick strength (a whole track's median); without it, the strongest quarter of the overlap's own
   * beats (an intro whose kick comes in late still has a reference).
   */
  kickRefA?: number;
  kickRefB?: number;
}

function overlapReference(kicks: BeatKick[]): number {
  const s = kicks.map((k) => k.strength).sort((x, y) => x - y);
  return s.length ? s[Math.floor(0.75 * (s.length - 1))]! : 0;
}

/** A's beats in the overlap, each with B's nearest (within a quarter beat): the beats the two decks should share. */
export function pairBeats(beatsA: number[], beatsB: number[]): { ta: number; tb: number }[] {
  const beatSec = beatsA.length > 1 ? (beatsA.at(-1)! - beatsA[0]!) / (beatsA.length - 1) : 0.5;
  const pairs: { ta: number; tb: number }[] = [];
  for (const ta of beatsA) {
    if (ta < SNAP_SEC) continue;
    let tb: number | undefined;
    for (const x of beatsB) if (Math.abs(x - ta) < 0.25 * beatSec && (tb === undefined || Math.abs(x - ta) < Math.abs(tb - ta))) tb = x;
    if (tb !== undefined) pairs.push({ ta, tb });
  }
  return pairs;
}

/**
 * B's kick against A's on every paired beat both decks play a kick on (at least half their usual strength): a beat with hats only, or a breakdown's pads, has nothing there to misalign.
 */
export function judgeKicks(pairs: { ta: number }[], kicksA: BeatKick[], kicksB: BeatKick[], kickRefA?: number, kickRefB?: number): BeatPhase[] {
  const thresholdA = 0.5 * (kickRefA ?? overlapReference(kicksA));
  const thresholdB = 0.5 * (kickRefB ?? overlapReference(kicksB));
  const out: BeatPhase[] = [];
  pairs.forEach(({ ta }, i) => {
    const ka = kicksA[i]!;
    const kb = kicksB[i]!;
    if (ka.strength > 0 && kb.strength > 0 && ka.strength >= thresholdA && kb.strength >= thresholdB) out.push({ atSec: ta, errorMs: (kb.attackSec - ka.attackSec) * 1000 });
  });
  return out;
}

/** The two steps at once, on decks already rendered. */
export function deckPhaseErrors(p: DeckPair): BeatPhase[] {
  const pairs = pairBeats(p.beatsA, p.beatsB);
  const kicksA = beatKicks(p.a, p.rate, pairs.map((x) => x.ta), p.channels);
  const kicksB = beatKicks(p.b, p.rate, pairs.map((x) => x.tb), p.channels);
  return judgeKicks(pairs, kicksA, kicksB, p.kickRefA, p.kickRefB);
}

export interface PhaseSummary {
  beatsCompared: number;
  medianAbsMs: number;
  maxAbsMs: number;
  /** The signed median: a steady offset between the decks (positive: B late). */
  offsetMs: number;
}

export function summarizePhase(errors: BeatPhase[]): PhaseSummary {
  const abs = errors.map((e) => Math.abs(e.errorMs));
  return {
    beatsCompared: errors.length,
    medianAbsMs: errors.length ? median(abs) : 0,
    maxAbsMs: errors.length ? Math.max(...abs) : 0,
    offsetMs: errors.length ? median(errors.map((e) => e.errorMs)) : 0,
  };
}
