import type { SetEngine } from '../../audio/set/set-engine.ts';
import type { SetBroadcast } from '../../voice/set-broadcast.ts';
import type { LiveTrack } from '../playlist/next-track.ts';

/** One engine streaming into one player; a paused set resumes with a new one on the same connection. */
export interface Playback {
  engine: SetEngine<LiveTrack>;
  broadcast: SetBroadcast;
}

export type EndReason = 'stopped' | 'shutdown' | 'finished' | 'lost' | 'failed' | 'not-started' | 'idle';

/**
 * Where the set stands, as others see it. `connecting`: joined, not yet heard; `paused` by `empty` (the player held,
 * nobody listening) or by a `member` (faded out on a downbeat, the engine closed, its position held).
 */
export type SetState =
  | { status: 'connecting' }
  | { status: 'playing' }
  | { status: 'paused'; by: 'empty' | 'member' }
  | { status: 'stopping' }
  | { status: 'ended'; reason: EndReason };

/** What every state before `ended` holds: the playback heard now and the timer saving where it is heard. */
export interface Holding {
  playback: Playback;
  saveTimer: NodeJS.Timeout;
}

/**
 * The set's state with what it owns. `playing` owns the timer armed while nobody listens (it pauses the set);
 * `paused` the one that makes the set leave after the server's limit. `ended` keeps its last playback, closed, so
 * what was heard can still be read.
 */
export type LiveState =
  | ({ status: 'connecting' } & Holding)
  | ({ status: 'playing'; emptyTimer?: NodeJS.Timeout } & Holding)
  | ({ status: 'paused'; by: 'empty' | 'member'; leaveTimer?: NodeJS.Timeout } & Holding)
  | ({ status: 'stopping' } & Holding)
  | { status: 'ended'; reason: EndReason; playback: Playback };

export function publicState(state: LiveState): SetState {
  if (state.status === 'paused') return { status: 'paused', by: state.by };
  if (state.status === 'ended') return { status: 'ended', reason: state.reason };
  return { status: state.status };
}

export function sameState(a: SetState, b: SetState): boolean {
  return (
    a.status === b.status &&
    (a as { by?: unknown }).by === (b as { by?: unknown }).by &&
    (a as { reason?: unknown }).reason === (b as { reason?: unknown }).reason
  );
}

const timersOf = (s: LiveState): (NodeJS.Timeout | undefined)[] => [
  'saveTimer' in s ? s.saveTimer : undefined,
  'emptyTimer' in s ? s.emptyTimer : undefined,
  'leaveTimer' in s ? s.leaveTimer : undefined,
];

/**
 * Releases what `from` owned and `to` does not carry on: its timers, and its playback (player, pacing, decoders,
 * encoder) once replaced or ended. The one place a state's resources are let go (a member's pause also closes its
 * playback once faded out, the state keeping it closed so what was heard can be read; a second close does nothing).
 */
export function releaseReplaced(from: LiveState, to: LiveState): void {
  const kept = new Set(timersOf(to));
  for (const timer of timersOf(from)) if (timer && !kept.has(timer)) clearTimeout(timer);
  if (from.playback !== to.playback || to.status === 'ended') from.playback.broadcast.close();
}
