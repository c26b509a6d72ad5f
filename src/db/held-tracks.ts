import type { GuildState, PendingAdd } from './guild-store.ts';

/**
 * A pending add is renewed this often while its job runs (src/bot/adds/reservation-keeper.ts), and lapses this long after
 * its last renewal: its process was killed mid-download or mid-analysis, and it holds nothing any more.
 */
export const RESERVATION_RENEW_MS = 60_000;
export const RESERVATION_LAPSE_MS = 5 * 60_000;

export function isLivePending(p: PendingAdd, nowMs: number): boolean {
  return nowMs - Date.parse(p.renewedAt ?? p.at) < RESERVATION_LAPSE_MS;
}

/**
 * The tracks a server's state holds: waiting in its playlist, playing or picked next in its set, or downloaded by a
 * pending add (one lapsed at `nowMs` holds nothing; without `nowMs`, every pending add counts).
 */
export function heldIn(state: GuildState, nowMs?: number): Set<string> {
  const held = new Set(state.playlist.map((e) => e.hash));
  if (state.session) held.add(state.session.current.hash);
  if (state.session?.nextHash) held.add(state.session.nextHash);
  for (const p of state.pendingAdds) if (p.hash && (nowMs === undefined || isLivePending(p, nowMs))) held.add(p.hash);
  return held;
}
