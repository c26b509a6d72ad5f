import type { LazyScorer } from '../../ai/lazy-scorer.ts';
import type { FeedbackStore } from '../../db/feedback-store.ts';
import type { GuildStore } from '../../db/guild-store.ts';
import type { IngestDeps } from '../adds/fetch-and-ingest.ts';
import type { LiveSets } from '../live/live-sets.ts';
import type { NextTrackDeps } from '../playlist/next-track.ts';

/** What the commands' handlers work with (create-bot.ts makes it once). */
export interface CommandDeps extends NextTrackDeps {
  store: GuildStore;
  sets: LiveSets;
  feedback: FeedbackStore;
  /** What adds download and ingest with: the limits, the downloads in flight, the disk quota. */
  ingest: IngestDeps;
  /** The mix scorer, loaded on first use: an add says how the song follows the one before, /suggest ranks. */
  lazyScorer: LazyScorer;
}

/** Who started the set playing in a server, if one plays (they may steer it). */
export function liveStarter(deps: Pick<CommandDeps, 'sets'>): (guildId: string) => string | undefined {
  return (guildId) => deps.sets.get(guildId)?.starterId;
}
