import type { Guild } from 'discord.js';
import type { GuildState, LiveSession } from '../db/guild-store.ts';
import { formatClock } from '../viz/set-picture.ts';
import { LiveSet, sendTo, sessionFor } from './live-set.ts';
import type { LiveSetDeps } from './live-set.ts';
import { liveTrackOf, pickNextTrack } from './next-track.ts';
import type { LiveTrack } from './next-track.ts';

export interface StartParams {
  guild: Guild;
  voiceChannelId: string;
  textChannelId: string;
  order: 'smart' | 'queue';
  starterId: string;
  first: LiveTrack;
  firstFromSec?: number;
}

/** Resuming leaves at least this much of the track to play; otherwise the set resumes with the next one. */
const MIN_RESUME_LEFT_SEC = 30;

/** The track time to resume at: the last downbeat at or before the saved position (undefined: from the top). */
export function resumePoint(track: LiveTrack, positionSec: number): number | undefined {
  if (positionSec < 1) return undefined;
  const downbeat = track.analysis.downbeats.findLast((d) => d <= positionSec);
  if (downbeat === undefined || track.analysis.durationSec - downbeat < MIN_RESUME_LEFT_SEC) return undefined;
  return downbeat;
}

/** Every guild's live set, at most one each; starts, resumes after a restart, and stops them all on shutdown. */
export class LiveSets {
  private readonly sets = new Map<string, LiveSet>();
  private readonly deps: LiveSetDeps;

  constructor(deps: LiveSetDeps) {
    this.deps = deps;
  }

  get(guildId: string): LiveSet | undefined {
    return this.sets.get(guildId);
  }

  get size(): number {
    return this.sets.size;
  }

  /** Saves the session first, so a crash a moment later still resumes. */
  async start(params: StartParams): Promise<LiveSet> {
    if (this.sets.has(params.guild.id)) throw new Error('a set is already playing in this guild');
    const now = new Date().toISOString();
    await this.deps.store.update(params.guild.id, (s) => ({
      ...s,
      setStarterId: params.starterId,
      session: sessionFor(params, params.first, params.firstFromSec ?? 0, s.session?.startedAt ?? now, now),
    }));
    const set = new LiveSet(this.deps, {
      guild: params.guild,
      voiceChannelId: params.voiceChannelId,
      textChannelId: params.textChannelId,
      order: params.order,
      starterId: params.starterId,
      first: params.first,
      ...(params.firstFromSec !== undefined ? { firstFromSec: params.firstFromSec } : {}),
      onEnded: () => {
        if (this.sets.get(params.guild.id) === set) this.sets.delete(params.guild.id);
      },
    });
    this.sets.set(params.guild.id, set);
    return set;
  }

  /** After a restart: every guild with a saved session plays on from where it was heard last. */
  async resumeAll(guilds: Iterable<Guild>): Promise<number> {
    let resumed = 0;
    for (const guild of guilds) {
      try {
        if (await this.resume(guild, await this.deps.store.get(guild.id))) resumed += 1;
      } catch (error) {
        this.deps.onError(error);
      }
    }
    return resumed;
  }

  private async resume(guild: Guild, state: GuildState): Promise<boolean> {
    const session = state.session;
    if (!session || this.sets.has(guild.id)) return false;
    const channel = guild.channels.cache.get(session.voiceChannelId);
    const forget = () => this.deps.store.update(guild.id, (s) => ({ ...s, session: undefined, setStarterId: undefined }));
    if (!channel?.isVoiceBased()) {
      await forget();
      return false;
    }
    const saved = await this.savedTrack(session);
    const first = saved?.track ?? (await pickNextTrack(state, undefined, session.order, this.deps)).track;
    if (!first) {
      await forget();
      return false;
    }
    const from = saved?.fromSec;
    await this.start({ guild, voiceChannelId: session.voiceChannelId, textChannelId: session.textChannelId, order: session.order, starterId: state.setStarterId ?? '', first, ...(from !== undefined ? { firstFromSec: from } : {}) });
    const where = from !== undefined ? ` at ${formatClock(from)}` : '';
    await sendTo(this.deps.client, session.textChannelId, `Mini-DJ restarted: resuming **${first.title}**${where} in <#${session.voiceChannelId}>.`).catch(this.deps.onError);
    return true;
  }

  /** The saved song, from the downbeat before where it was heard; undefined when it is gone or nearly over. */
  private async savedTrack(session: LiveSession): Promise<{ track: LiveTrack; fromSec?: number } | undefined> {
    const record = await this.deps.analyses.get(session.current.hash);
    const track = record ? await liveTrackOf(record, this.deps.files) : undefined;
    if (!track) return undefined;
    const fromSec = resumePoint(track, session.current.positionSec);
    if (fromSec === undefined && session.current.positionSec >= 1) return undefined;
    return { track: { ...track, title: session.current.title }, ...(fromSec !== undefined ? { fromSec } : {}) };
  }

  /** Fades every set out; `shutdown` keeps the sessions for the next start. */
  async stopAll(reason: 'stopped' | 'shutdown'): Promise<void> {
    await Promise.allSettled([...this.sets.values()].map((set) => set.stop(reason)));
  }
}
