import { readDeckFrames } from '../io/deck-reader.ts';
import { MIX_RATE } from '../io/mix-format.ts';
import { beatKicks, sameTrackLag } from './deck-phase.ts';
import type { BeatPhase } from './deck-phase.ts';
import { outputDuration } from './tempo-schedule.ts';
import type { TransitionPlan } from './transition-plan.ts';

/** A track as a deck plays it: its file and loudness gain. */
export interface PlacedSource {
  file: string;
  gain: number;
}

/** Source read this much either side of the overlap's first and last beats (a beat's profile reaches 0.14 s). */
const MARGIN_SEC = 0.2;

/** How late a rendered deck (interleaved stereo, from A's exit) plays its beats against its own source at them. */
async function deckLag(
  src: PlacedSource,
  deck: Float32Array,
  trackBeats: number[],
  deckBeats: number[],
): Promise<BeatPhase | undefined> {
  if (trackBeats.length === 0) return undefined;
  const from = Math.max(0, trackBeats[0]! - MARGIN_SEC);
  const source = await readDeckFrames(
    { file: src.file, fromSec: from, gain: src.gain },
    Math.ceil((trackBeats.at(-1)! + MARGIN_SEC - from) * MIX_RATE),
  );
  const fromSource = beatKicks(
    source,
    MIX_RATE,
    trackBeats.map((t) => t - from),
    2,
  );
  return sameTrackLag(fromSource, beatKicks(deck, MIX_RATE, deckBeats, 2), MIX_RATE);
}

/**
 * Where the two decks of a rendered overlap play their beats on the grid they share, each read against its own
 * track: for an overlap where the decks cannot be read against each other (a deck with no kick and no clear attack on
 * its beats, a melodic outro under a drum intro). Each deck's attacks are compared with its source's at the same
 * beats (the same music, so the reading needs no kick); B's lag less A's is how far B's beats land from A's, given the
 * two grids. What this cannot see, a grid fitted off its own track's beats, the ears measure per track.
 */
export async function placementPhase(
  plan: TransitionPlan,
  a: Float32Array,
  b: Float32Array,
  from: PlacedSource,
  to: PlacedSource,
  beatsA: number[],
  beatsB: number[],
): Promise<BeatPhase | undefined> {
  const end = plan.overlapSec - 0.05;
  const inA = beatsA.filter((t) => t >= plan.exitSec - 1e-3 && t - plan.exitSec < end);
  const inB = beatsB.filter((t) => t >= plan.entrySec - 1e-3 && outputDuration(plan.schedule, plan.entrySec, t) < end);
  const [lagA, lagB] = await Promise.all([
    deckLag(
      from,
      a,
      inA,
      inA.map((t) => t - plan.exitSec),
    ),
    deckLag(
      to,
      b,
      inB,
      inB.map((t) => outputDuration(plan.schedule, plan.entrySec, t)),
    ),
  ]);
  if (!lagA || !lagB) return undefined;
  return {
    atSec: 0,
    errorMs: lagB.errorMs - lagA.errorMs,
    confidence: Math.min(lagA.confidence ?? 0, lagB.confidence ?? 0),
    beats: Math.min(lagA.beats ?? 0, lagB.beats ?? 0),
  };
}
