import type { OrderMode } from '../../audio/set/order-mode.ts';
import { barSec } from '../../audio/set/set-timeline.ts';
import { planTransition } from '../../audio/transition/transition-plan.ts';
import type { TransitionPlan } from '../../audio/transition/transition-plan.ts';
import type { GuildState, PlaylistEntry } from '../../db/guild-store.ts';
import { pickNextTrack } from './next-track.ts';
import type { LiveTrack, NextTrackDeps } from './next-track.ts';

/** What a live set is playing, for planning what follows. */
export interface LiveView {
  current: LiveTrack;
  positionSec: number;
  /** The transition already planned: its track is the next to play, `inSec` from now. */
  upcoming?: { to: LiveTrack; inSec: number; plan: TransitionPlan };
}

export interface PlannedPlay {
  track: LiveTrack;
  /** Seconds from now until listeners hear it come in (its transition starts); an estimate past the first. */
  startsInSec?: number;
}

export interface PlayOrder {
  plays: PlannedPlay[];
  /** Playlist entries the set will drop when it meets them (their audio is gone). */
  unplayable: PlaylistEntry[];
}

/** The state once `track` has played: its entry out of the playlist, into the history. */
function played(state: GuildState, track: LiveTrack, at: Date): GuildState {
  const entry = track.entry;
  return {
    ...state,
    playlist: entry ? state.playlist.filter((e) => e.id !== entry.id) : state.playlist,
    history: [
      ...state.history,
      {
        hash: track.hash,
        playedAt: at.toISOString(),
        title: track.title,
        ...(entry ? { addedAt: entry.addedAt, requesterId: entry.requesterId } : {}),
      },
    ],
  };
}

/**
 * The coming play order: the set's own pick (`pickNextTrack`, which the live set runs at each song) asked again and
 * again on the state each pick leaves — the playlist without the song picked, the history with it — so in smart order
 * it lists what the set will then play, and in queue order the playlist as queued. Up to `count` songs from the
 * playlist (and a library song the set has already planned); the library picks after the playlist are not listed.
 * Yields to the event loop between picks.
 */
export async function planPlayOrder(
  state: GuildState,
  live: LiveView | undefined,
  order: OrderMode,
  deps: NextTrackDeps,
  count: number,
): Promise<PlayOrder> {
  const plays: PlannedPlay[] = [];
  const unplayable: PlaylistEntry[] = [];
  let clock = Date.now();
  const tick = () => new Date((clock += 1000));
  let sim = live?.current.entry
    ? { ...state, playlist: state.playlist.filter((e) => e.id !== live.current.entry!.id) }
    : state;
  let prev = live?.current;
  if (live?.upcoming) {
    plays.push({ track: live.upcoming.to });
    sim = played(sim, live.upcoming.to, tick());
    prev = live.upcoming.to;
  }
  while (plays.length < count) {
    const pick = await pickNextTrack(sim, prev, order, deps);
    if (pick.unplayable.length > 0) {
      unplayable.push(...pick.unplayable);
      const gone = new Set(pick.unplayable.map((e) => e.id));
      sim = { ...sim, playlist: sim.playlist.filter((e) => !gone.has(e.id)) };
    }
    if (!pick.track?.entry) break;
    plays.push({ track: pick.track });
    sim = played(sim, pick.track, tick());
    prev = pick.track;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { plays: live ? withStartTimes(plays, live) : plays, unplayable };
}

/**
 * When each comes in: the planned transition's time, then, song after song, where the planner would leave each one
 * (the same planner as the set's, from where the song came in) — an estimate, as the set plans each transition only
 * once the song before it plays.
 */
function withStartTimes(plays: PlannedPlay[], live: LiveView): PlannedPlay[] {
  let from = live.current;
  /** `from`'s track time at `nowSec`, and the earliest it may leave (the engine plans 2 bars ahead of where it is). */
  let atSec = live.positionSec;
  let notBeforeSec = atSec + 2 * barSec(from.analysis);
  let nowSec = 0;
  return plays.map((play, i) => {
    const planned = i === 0 ? live.upcoming : undefined;
    const plan = planned?.plan ?? planTransition(from, play.track, { notBeforeSec });
    nowSec += planned ? planned.inSec : Math.max(0, plan.exitSec - atSec);
    from = play.track;
    // It comes in at its entry; its own exit is planned once the overlap is over.
    atSec = plan.entrySec;
    notBeforeSec = plan.entrySec + plan.overlapSec + 2 * barSec(from.analysis);
    return { ...play, startsInSec: nowSec };
  });
}
