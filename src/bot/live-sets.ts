import type { Guild } from 'discord.js';
import type { GuildState } from '../db/guild-store.ts';
import { formatClock } from '../viz/set-picture.ts';
import { LiveSet, sendTo } from './live-set.ts';
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
      session: {
        voiceChannelId: params.voiceChannelId,
        textChannelId: params.textChannelId,
        order: params.order,
        startedAt: s.session?.startedAt ?? now,
        current: { hash: params.first.hash, title: params.first.title, ...(params.first.entry ? { requesterId: params.first.entry.requesterId } : {}), positionSec: params.firstFromSec ?? 0, savedAt: now },
      },
    }));
    const set = new LiveSet(this.deps, {
      guild: params.guild,
      voiceChannelId: params.voiceChannelId,
      textChannelId: params.textChannelId,
      order: params.order,
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
    const record = await this.deps.analyses.get(session.current.hash);
    let first = record ? await liveTrackOf(record, this.deps.files) : undefined;
    let from = first ? resumePoint(first, session.current.positionSec) : undefined;
    if (first && from === undefined && session.current.positionSec >= 1) first = undefined;
    if (first) first = { ...first, title: session.current.title };
    if (!first) {
      first = (await pickNextTrack(state, undefined, session.order, this.deps)).track;
      from = undefined;
    }
    if (!first) {
      await forget();
      return false;
    }
    await this.start({ guild, voiceChannelId: session.voiceChannelId, textChannelId: session.textChannelId, order: session.order, starterId: state.setStarterId ?? '', first, ...(from !== undefined ? { firstFromSec: from } : {}) });
    const where = from !== undefined ? ` at ${formatClock(from)}` : '';
    await sendTo(this.deps.client, session.textChannelId, `Mini-DJ restarted: resuming **${first.title}**${where} in <#${session.voiceChannelId}>.`).catch(this.deps.onError);
    return true;
  }

  /** Fades every set out; `shutdown` keeps the sessions for the next start. */
  async stopAll(reason: 'stopped' | 'shutdown'): Promise<void> {
    await Promise.allSettled([...this.sets.values()].map((set) => set.stop(reason)));
  }
}
