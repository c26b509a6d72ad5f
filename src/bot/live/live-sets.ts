import type { Guild, VoiceState } from 'discord.js';
import type { GuildState, LiveSession } from '../../db/guild-store.ts';
import { prestartSpawner } from '../../util/spawner.ts';
import { Admission, admissionOptionsFromEnv } from '../../voice/admission.ts';
import type { AdmissionOptions } from '../../voice/admission.ts';
import { DEFAULT_TIMING, LiveSet, sessionFor } from './live-set.ts';
import type { LiveSetDeps, LiveSetParams } from './live-set.ts';
import { liveTrackOf, pickNextTrack } from '../playlist/next-track.ts';
import type { LiveTrack } from '../playlist/next-track.ts';
import { resumePoint } from './resume-point.ts';
import { sendTo } from './send-to.ts';
import { takeTheStage } from './stage-speaker.ts';
import { checkVoiceChannel } from './voice-checks.ts';
import type { StageVoice } from './voice-checks.ts';
import { displayTitle } from '../discord/track-title.ts';
import { TransitionRenderer } from '../../audio/transition/transition-renderer.ts';
import { formatClock } from '../../util/format-clock.ts';

/** What a start needs: a live set's parameters but its end callback (the set list's own), and on a stage how to speak. */
export interface StartParams extends Omit<LiveSetParams, 'onEnded'> {
  /** A stage channel: how the bot becomes heard there. */
  stage?: StageVoice;
}

/** A start that did not get the set heard; the message is for the member (the set is gone, its session cleared). */
export class StartFailed extends Error {}

export function notReadyInTime(channelId: string, seconds: number): string {
  return `Mini-DJ could not start in <#${channelId}>: the voice connection was not ready (or no audio got through) within ${seconds} s. Nothing is left playing; try /djset start again.`;
}

/**
 * Every guild's live set, at most one each; starts, resumes after a restart, and stops them all on shutdown. A start
 * past what the machine carries is refused (admission control, src/voice/admission.ts).
 */
export class LiveSets {
  private readonly sets = new Map<string, LiveSet>();
  private readonly deps: LiveSetDeps;
  readonly admission: Admission;

  /** `admission`: default from the environment (`MINIDJ_MAX_LIVE_SETS`, `MINIDJ_STREAM_COST_PCT`, …). */
  constructor(deps: LiveSetDeps, admission: AdmissionOptions = admissionOptionsFromEnv()) {
    this.deps = deps;
    // Told of the renders (when the renderer is the bot's own), a set's cost is what it costs at its own rate.
    const { renderer } = deps;
    const renders =
      renderer instanceof TransitionRenderer
        ? { renders: { completed: () => renderer.completed, nice: renderer.nice } }
        : {};
    this.admission = new Admission(() => this.sets.size, { ...renders, ...admission });
    // Measuring from the start: the first /djset start already knows whether the event loop keeps time.
    this.admission.start();
    // The decoders' spawner is up before the first set needs a decoder.
    prestartSpawner();
    // One listener for every set (a listener per set would pass Node's 10-listener warning at the 11th).
    deps.client.on('voiceStateUpdate', this.onVoiceState);
  }

  private readonly onVoiceState = (oldState: VoiceState, newState: VoiceState): void => {
    this.sets.get(newState.guild.id)?.onVoiceState(oldState.channelId, newState.channelId, newState.id);
  };

  get(guildId: string): LiveSet | undefined {
    return this.sets.get(guildId);
  }

  get size(): number {
    return this.sets.size;
  }

  /**
   * Joins, and resolves once the connection is Ready and the first audio is sent (and, on a stage, the bot speaks or
   * has asked to). Otherwise the set is ended, its session cleared, and this rejects with a `StartFailed`.
   * Saves the session first, so a crash a moment later still resumes.
   */
  async start(params: StartParams): Promise<{ set: LiveSet; note: string }> {
    if (this.sets.has(params.guild.id)) throw new Error('a set is already playing in this guild');
    // Past what the machine carries, a new set would make every set stutter: refused, nothing joined or saved.
    const admitted = this.admission.check();
    if (!admitted.ok) throw new StartFailed(admitted.message);
    const now = new Date().toISOString();
    const set = new LiveSet(this.deps, {
      guild: params.guild,
      voiceChannelId: params.voiceChannelId,
      textChannelId: params.textChannelId,
      order: params.order,
      starterId: params.starterId,
      first: params.first,
      ...(params.firstFromSec !== undefined ? { firstFromSec: params.firstFromSec } : {}),
      ...(params.panelMessageId ? { panelMessageId: params.panelMessageId } : {}),
      ...(params.threadId ? { threadId: params.threadId } : {}),
      onEnded: () => {
        if (this.sets.get(params.guild.id) === set) this.sets.delete(params.guild.id);
      },
    });
    this.sets.set(params.guild.id, set);
    const { onStateChange } = this.deps;
    if (onStateChange) set.on('stateChange', (from, to) => onStateChange(params.guild.id, from, to));
    try {
      await this.deps.store.update(params.guild.id, (s) => ({
        ...s,
        setStarterId: params.starterId,
        session: {
          ...sessionFor(params, params.first, params.firstFromSec ?? 0, s.session?.startedAt ?? now, now),
          ...(params.panelMessageId ? { panelMessageId: params.panelMessageId } : {}),
          ...(params.threadId ? { threadId: params.threadId } : {}),
        },
      }));
      await set.whenAudible().catch((error: unknown) => {
        const seconds = Math.round((this.deps.timing?.readyTimeoutMs ?? DEFAULT_TIMING.readyTimeoutMs) / 1000);
        throw new StartFailed(notReadyInTime(params.voiceChannelId, seconds), { cause: error });
      });
      const note = params.stage
        ? await takeTheStage(this.deps.client, params.guild.id, set.voiceChannelId, params.stage).catch(
            (error: unknown) => {
              if ((error as Error).cause) throw new StartFailed((error as Error).message, { cause: error });
              throw error;
            },
          )
        : '';
      return { set, note };
    } catch (error) {
      await set.end('not-started');
      throw error;
    }
  }

  /** After a restart: every guild with a saved session plays on from where it was heard last. */
  async resumeAll(guilds: Iterable<Guild>): Promise<number> {
    const results = await Promise.allSettled(
      [...guilds].map(async (guild) => this.resume(guild, await this.deps.store.get(guild.id))),
    );
    for (const r of results)
      if (r.status === 'rejected' && !(r.reason instanceof StartFailed)) this.deps.onError(r.reason);
    return results.filter((r) => r.status === 'fulfilled' && r.value).length;
  }

  /** Resumes with the same checks as /djset start; says in the text channel why when it cannot. */
  private async resume(guild: Guild, state: GuildState): Promise<boolean> {
    const session = state.session;
    if (!session || this.sets.has(guild.id)) return false;
    const channel = guild.channels.cache.get(session.voiceChannelId);
    const forget = () =>
      this.deps.store.update(guild.id, (s) => ({ ...s, session: undefined, setStarterId: undefined }));
    const say = (text: string) => sendTo(this.deps.client, session.textChannelId, text).catch(this.deps.onError);
    if (!channel?.isVoiceBased()) {
      await forget();
      return false;
    }
    const check = checkVoiceChannel(channel, guild);
    if (!check.ok) {
      await forget();
      await say(`Mini-DJ restarted but did not resume the set: ${check.message}`);
      return false;
    }
    const saved = await this.savedTrack(session);
    const first = saved?.track ?? (await pickNextTrack(state, undefined, session.order, this.deps)).track;
    if (!first) {
      await forget();
      return false;
    }
    const from = saved?.fromSec;
    try {
      const { note } = await this.start({
        guild,
        voiceChannelId: session.voiceChannelId,
        textChannelId: session.textChannelId,
        order: session.order,
        starterId: state.setStarterId ?? '',
        first,
        ...(from !== undefined ? { firstFromSec: from } : {}),
        ...(check.stage ? { stage: check.stage } : {}),
        ...(session.panelMessageId ? { panelMessageId: session.panelMessageId } : {}),
        ...(session.threadId ? { threadId: session.threadId } : {}),
      });
      const where = from !== undefined ? ` at ${formatClock(from)}` : '';
      await say(
        `Mini-DJ restarted: resuming **${displayTitle(first.title)}**${where} in <#${session.voiceChannelId}>.${note}`,
      );
      return true;
    } catch (error) {
      if (error instanceof StartFailed) await say(`Mini-DJ restarted but did not resume the set: ${error.message}`);
      throw error;
    }
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
