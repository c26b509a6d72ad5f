import { RESERVATION_RENEW_MS } from '../../db/held-tracks.ts';
import type { GuildStore } from '../../db/guild-store.ts';
import { renewAdds } from '../playlist/queue-operations.ts';

/**
 * Keeps this process's reservations (pending adds) alive while their jobs run: every RESERVATION_RENEW_MS it renews
 * each one held, one write per server, so a download or analysis that outlasts the lapse keeps its place under the
 * limits, and a reservation whose process died lapses soon after its last renewal.
 */
export class ReservationKeeper {
  private readonly store: GuildStore;
  private readonly everyMs: number;
  private readonly onError: (error: unknown) => void;
  /** Pending add ids by server. */
  private readonly held = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(store: GuildStore, options: { everyMs?: number; onError?: (error: unknown) => void } = {}) {
    this.store = store;
    this.everyMs = options.everyMs ?? RESERVATION_RENEW_MS;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Renews the reservation until the returned function is called (its job ended). */
  hold(guildId: string, pendingId: string): () => void {
    const ids = this.held.get(guildId) ?? new Set<string>();
    ids.add(pendingId);
    this.held.set(guildId, ids);
    if (!this.timer) {
      this.timer = setInterval(() => void this.renewNow().catch(this.onError), this.everyMs);
      this.timer.unref();
    }
    return () => {
      ids.delete(pendingId);
      if (ids.size === 0 && this.held.get(guildId) === ids) this.held.delete(guildId);
      if (this.held.size === 0) this.stop();
    };
  }

  /** Renews every reservation held now. */
  async renewNow(now = new Date()): Promise<void> {
    await Promise.all([...this.held].map(([guildId, ids]) => renewAdds(this.store, guildId, new Set(ids), now)));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
