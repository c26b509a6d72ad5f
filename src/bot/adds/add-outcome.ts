import type { TrackAnalysis } from '../../audio/analysis/analysis-types.ts';
import type { PlaylistEntry } from '../../db/guild-store.ts';
import type { IngestDeps } from './fetch-and-ingest.ts';
import type { LazyScorer } from '../../ai/lazy-scorer.ts';
import { energyLabel, neighbourFit } from './neighbour-fit.ts';
import type { AddResult } from '../playlist/queue-operations.ts';
import { displayTitle } from '../discord/track-title.ts';
import { trackSummary } from './track-summary.ts';

/** A track being added: its content hash, the title it is queued under, its analysis. */
export interface ResolvedTrack {
  hash: string;
  title: string;
  analysis: TrackAnalysis;
}

/** What an add says: where the track was queued, what it is and how it follows the song before it; or the refusal. */
export async function addOutcome(
  result: AddResult,
  track: ResolvedTrack,
  deps: IngestDeps,
  scorer: LazyScorer,
): Promise<string> {
  if (!result.ok) return result.message;
  const summary = `${trackSummary(track.analysis)}, ${energyLabel(track.analysis)}`;
  return `Added "${displayTitle(result.entry.title)}" at position ${result.position} — ${summary}.${await fitAfter(result.previous, track, deps, scorer)}`;
}

/** How the track follows the entry queued before it; nothing when it is first or the scorer is unavailable. */
async function fitAfter(
  previous: PlaylistEntry | undefined,
  track: ResolvedTrack,
  deps: IngestDeps,
  scorer: LazyScorer,
): Promise<string> {
  const record = previous ? await deps.analyses.get(previous.hash) : undefined;
  if (!previous || !record) return '';
  try {
    return ` ${await neighbourFit(await scorer.get(), { title: previous.title, analysis: record.analysis }, track.analysis)}`;
  } catch {
    // No model (or it would not load): the add is told without the fit, as documented above.
    return '';
  }
}
