import { randomUUID } from 'node:crypto';
import { AudioPlayerStatus } from '@discordjs/voice';
import type { Client, Guild } from 'discord.js';
import { AudioInputError } from '../audio/audio-input-error.ts';
import { SetEngine } from '../audio/set-engine.ts';
import type { SetEvent, UpcomingTransition } from '../audio/set-engine.ts';
import type { TransitionRenderer } from '../audio/transition-renderer.ts';
import type { GuildState, GuildStore, LiveSession } from '../db/guild-store.ts';
import { SetBroadcast } from '../voice/set-broadcast.ts';
import { VoiceLink } from '../voice/voice-link.ts';
import { pickNextTrack } from './next-track.ts';
import type { LiveTrack, NextTrackDeps } from './next-track.ts';
import { nowMixingMessage } from './now-mixing-message.ts';

export interface LiveSetTiming {
  /** How long the channel may be empty before the set pauses (default 60 s). */
  emptyGraceMs: number;
  /** How often the playing position is saved (default 5 s). */
  saveEveryMs: number;
  leadSec: number;
  /** A transition not rendered by the end of its body is replaced by a cut after this long (default 250 ms). */
  renderDeadlineMs: number;
}

/** The render deadline stays well under the lead, so a late transition becomes a cut before the buffer runs dry. */
export const DEFAULT_TIMING: LiveSetTiming = { emptyGraceMs: 60_000, saveEveryMs: 5000, leadSec: 1, renderDeadlineMs: 250 };

export interface LiveSetDeps extends NextTrackDeps {
  client: Client;
  store: GuildStore;
  renderer: Pick<TransitionRenderer, 'render'>;
  onError: (error: unknown) => void;
  timing?: Partial<LiveSetTiming>;
}

export interface LiveSetParams {
  guild: Guild;
  voiceChannelId: string;
  textChannelId: string;
  order: 'smart' | 'queue';
  /** Who started it: they may steer it while it plays. */
  starterId: string;
  first: LiveTrack;
  /** Track time to resume the first track at. */
  firstFromSec?: number;
  /** Called once the set is over, whatever ended it. */
  onEnded: () => void;
}

/** A track time anchored at a set time: the playing position is read off the latest anchor already heard. */
interface Anchor {
  setSec: number;
  trackSec: number;
  track: LiveTrack;
}

export type EndReason = 'stopped' | 'shutdown' | 'finished' | 'lost' | 'failed';

/**
 * One guild's live set: the engine picking tracks from the playlist (then the library), the broadcast into the voice
 * connection, and everything around it — the session saved as it plays (so a restart resumes it), "now mixing"
 * messages with 👍/👎, pausing while nobody listens.
 */
export class LiveSet {
  readonly guildId: string;
  readonly voiceChannelId: string;
  readonly textChannelId: string;
  readonly order: 'smart' | 'queue';
  readonly starterId: string;
  readonly engine: SetEngine;
  readonly broadcast: SetBroadcast;
  readonly link: VoiceLink;
  private readonly deps: LiveSetDeps;
  private readonly params: LiveSetParams;
  private readonly timing: LiveSetTiming;
  private readonly anchors: Anchor[] = [];
  private lastTransition: { id: string; startSec: number; fromHash: string; toHash: string } | undefined;
  private saveTimer: NodeJS.Timeout;
  private emptyTimer: NodeJS.Timeout | undefined;
  private pausedForEmpty = false;
  private stopping: Promise<void> | undefined;
  private ended: Promise<void> | undefined;
  private closed = false;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(deps: LiveSetDeps, params: LiveSetParams) {
    this.deps = deps;
    this.params = params;
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.guildId = params.guild.id;
    this.voiceChannelId = params.voiceChannelId;
    this.textChannelId = params.textChannelId;
    this.order = params.order;
    this.starterId = params.starterId;
    this.engine = new SetEngine([params.first], {
      renderer: deps.renderer,
      renderDeadlineMs: this.timing.renderDeadlineMs,
      reportLimit: 8,
      nextTrack: (current) => this.pick(current as LiveTrack),
      onEvent: (event) => this.onEvent(event),
      ...(params.firstFromSec !== undefined ? { firstFromSec: params.firstFromSec } : {}),
    });
    this.broadcast = new SetBroadcast(this.engine, { leadSec: this.timing.leadSec });
    this.link = new VoiceLink({
      guildId: this.guildId,
      channelId: params.voiceChannelId,
      adapterCreator: params.guild.voiceAdapterCreator,
      player: this.broadcast.player,
      onLost: (why) => {
        void this.post(`Mini-DJ ${why} in <#${this.voiceChannelId}>, so the set stopped. Use /djset start to carry on.`);
        void this.end('lost');
      },
    });
    // A player that was auto-paused (connection not ready) when the room emptied is paused once it plays again.
    this.broadcast.player.on(AudioPlayerStatus.Playing, () => {
      if (this.pausedForEmpty) this.broadcast.player.pause(true);
    });
    this.saveTimer = setInterval(() => this.savePosition(), this.timing.saveEveryMs);
    // Played out on its own (nothing left to play, or the stream failed); a stop ends it through stop() instead.
    const failure = this.broadcast.fed.then(() => undefined, (error: unknown) => error);
    void this.broadcast.finished.then(async () => {
      if (this.stopping) return;
      const error = await failure;
      if (error) this.deps.onError(error);
      return this.end(error ? 'failed' : 'finished', error);
    });
    deps.client.on('voiceStateUpdate', this.onVoiceState);
    this.checkListeners();
  }

  /** The track heard now and where in it (track seconds). */
  nowPlaying(): { track: LiveTrack; positionSec: number } | undefined {
    const played = this.broadcast.playedSec;
    const anchor = this.anchors.findLast((a) => a.setSec <= played) ?? this.anchors[0];
    if (!anchor) return undefined;
    return { track: anchor.track, positionSec: anchor.trackSec + Math.max(0, played - anchor.setSec) };
  }

  /** The next transition and how many seconds until listeners hear it start. */
  upcoming(): (UpcomingTransition & { inSec: number }) | undefined {
    const next = this.engine.upcoming;
    return next ? { ...next, inSec: Math.max(0, next.startSec - this.broadcast.playedSec) } : undefined;
  }

  get paused(): boolean {
    return this.pausedForEmpty;
  }

  /** The transition heard most recently, while it or its first minute after is playing (a skip then judges it). */
  recentTransition(windowSec = 60): { id: string; fromHash: string; toHash: string } | undefined {
    const t = this.lastTransition;
    // Produced up to the stream's lead before it is heard: a transition about to be heard counts too.
    return t && this.broadcast.playedSec - t.startSec <= windowSec && t.startSec - this.broadcast.playedSec <= this.timing.leadSec + 1 ? t : undefined;
  }

  skip(): void {
    this.engine.skip();
  }

  /** A transition is playing now, or the next one is planned. */
  get canSkip(): boolean {
    return this.engine.transitioning || this.engine.upcoming !== undefined;
  }

  /**
   * Fades out on the next downbeat and leaves. `stopped` forgets the session; `shutdown` keeps it (and the position)
   * so the next start resumes.
   */
  stop(reason: 'stopped' | 'shutdown'): Promise<void> {
    if (this.closed) return this.ended ?? Promise.resolve();
    if (!this.stopping) {
      this.engine.stop();
      const fadedOut = Promise.race([this.broadcast.finished, new Promise((resolve) => setTimeout(resolve, 8000).unref())]);
      this.stopping = fadedOut.then(() => this.end(reason));
    }
    return this.stopping;
  }

  private end(reason: EndReason, error?: unknown): Promise<void> {
    if (this.closed) return this.ended ?? Promise.resolve();
    this.closed = true;
    clearInterval(this.saveTimer);
    clearTimeout(this.emptyTimer);
    this.deps.client.off('voiceStateUpdate', this.onVoiceState);
    const update = reason === 'shutdown' ? this.withHeardPosition() : (s: GuildState) => ({ ...s, session: undefined, setStarterId: undefined });
    this.broadcast.close();
    this.link.destroy();
    this.ended = this.write(update)
      .then(async () => {
        if (reason === 'finished') await this.post('The set is over: there is nothing left to play. Add songs with /queue add and /djset start again.');
        if (reason === 'failed') {
          await this.post(
            error instanceof AudioInputError
              ? 'The set stopped: its audio could not be decoded and nothing playable was ready to follow. Add songs with /queue add and /djset start again.'
              : 'The set stopped after an internal error (it is logged). Use /djset start to carry on.',
          );
        }
      })
      .catch(this.deps.onError)
      .finally(() => this.params.onEnded());
    return this.ended;
  }

  private async pick(current: LiveTrack): Promise<LiveTrack | undefined> {
    try {
      await this.writes;
      const state = await this.deps.store.get(this.guildId);
      const { track, unplayable } = await pickNextTrack(state, current, this.order, this.deps);
      if (unplayable.length > 0) {
        const ids = new Set(unplayable.map((e) => e.id));
        await this.write((s) => ({ ...s, playlist: s.playlist.filter((e) => !ids.has(e.id)) }));
        await this.post(`Removed from the playlist because its audio is no longer in the library: ${unplayable.map((e) => `"${e.title}"`).join(', ')}. Add it again with /queue add.`);
      }
      return track;
    } catch (error) {
      this.deps.onError(error);
      return undefined;
    }
  }

  private onEvent(event: SetEvent): void {
    if (event.type === 'track') return this.onTrack(event.track as LiveTrack, event.setSec, event.trackSec);
    if (event.type === 'deck-error') {
      this.deps.onError(event.error);
      if (!event.recovered) void this.post(`**${event.track.title}** could not be played on (its audio decoder kept stopping), so the set cut to the next track.`);
      return;
    }
    const from = event.from as LiveTrack;
    const to = event.to as LiveTrack;
    const id = randomUUID().slice(0, 8);
    this.lastTransition = { id, startSec: event.report.startSec, fromHash: from.hash, toHash: to.hash };
    void this.write((s) => ({
      ...s,
      transitions: [...s.transitions, { id, fromHash: from.hash, toHash: to.hash, fromTitle: from.title, toTitle: to.title, at: new Date().toISOString() }],
    }));
    // Posted when listeners hear it start, not when it is produced.
    const heardInMs = Math.max(0, (event.report.startSec - this.broadcast.playedSec) * 1000);
    const timer = setTimeout(() => void this.post(nowMixingMessage(id, event.report)), heardInMs);
    timer.unref();
  }

  private onTrack(track: LiveTrack, setSec: number, trackSec: number): void {
    const previous = this.anchors.at(-1)?.track;
    this.anchors.push({ setSec, trackSec, track });
    if (this.anchors.length > 8) this.anchors.shift();
    if (previous?.hash === track.hash && previous.entry?.id === track.entry?.id) return;
    void this.deps.files.markPlayed(track.file);
    const now = new Date().toISOString();
    void this.write((s) => ({
      ...s,
      playlist: track.entry ? s.playlist.filter((e) => e.id !== track.entry!.id) : s.playlist,
      history: [...s.history, { hash: track.hash, playedAt: now, ...(track.entry ? { addedAt: track.entry.addedAt } : {}) }],
      session: sessionFor(this, track, trackSec, s.session?.startedAt ?? now, now),
    }));
  }

  private savePosition(): void {
    if (!this.closed) void this.write(this.withHeardPosition());
  }

  /** An update that saves where the song playing is heard now (nothing when the session moved on to another song). */
  private withHeardPosition(): (s: GuildState) => GuildState {
    const now = this.nowPlaying();
    return (s) => {
      const positionSec = now ? Number(now.positionSec.toFixed(2)) : undefined;
      if (!s.session || !now || s.session.current.hash !== now.track.hash || s.session.current.positionSec === positionSec) return s;
      return { ...s, session: { ...s.session, current: { ...s.session.current, positionSec: positionSec!, savedAt: new Date().toISOString() } } };
    };
  }

  /** Store writes in order, errors reported and never thrown into the audio path. */
  private write(fn: Parameters<GuildStore['update']>[1]): Promise<unknown> {
    this.writes = this.writes.then(() => this.deps.store.update(this.guildId, fn)).catch(this.deps.onError);
    return this.writes;
  }

  private async post(message: string | Parameters<typeof sendTo>[2]): Promise<void> {
    await sendTo(this.deps.client, this.textChannelId, message).catch(this.deps.onError);
  }

  private readonly onVoiceState = (oldState: { guild: Guild; channelId: string | null }, newState: { guild: Guild; channelId: string | null }): void => {
    if (newState.guild.id !== this.guildId) return;
    if (oldState.channelId === this.voiceChannelId || newState.channelId === this.voiceChannelId) this.checkListeners();
  };

  /** Members other than bots in the set's voice channel. */
  listeners(): number {
    const guild = this.deps.client.guilds.cache.get(this.guildId);
    if (!guild) return 0;
    return guild.voiceStates.cache.filter((v) => v.channelId === this.voiceChannelId && !this.deps.client.users.cache.get(v.id)?.bot && v.id !== this.deps.client.user?.id).size;
  }

  private checkListeners(): void {
    const listening = this.listeners() > 0;
    if (listening) {
      clearTimeout(this.emptyTimer);
      this.emptyTimer = undefined;
      if (this.pausedForEmpty) {
        this.pausedForEmpty = false;
        this.broadcast.player.unpause();
        void this.post(`Welcome back: the set carries on in <#${this.voiceChannelId}>.`);
      }
      return;
    }
    if (this.emptyTimer || this.pausedForEmpty) return;
    this.emptyTimer = setTimeout(() => {
      this.emptyTimer = undefined;
      if (this.listeners() > 0 || this.closed) return;
      this.pausedForEmpty = true;
      this.broadcast.player.pause(true);
      void this.post(`Nobody is listening in <#${this.voiceChannelId}>, so the set is paused. It carries on when someone joins.`);
    }, this.timing.emptyGraceMs);
  }
}

/** The session saved for a set playing `track` at track time `positionSec`. */
export function sessionFor(
  set: Pick<LiveSession, 'voiceChannelId' | 'textChannelId' | 'order'>,
  track: LiveTrack,
  positionSec: number,
  startedAt: string,
  savedAt: string,
): LiveSession {
  return {
    voiceChannelId: set.voiceChannelId,
    textChannelId: set.textChannelId,
    order: set.order,
    startedAt,
    current: { hash: track.hash, title: track.title, ...(track.entry ? { requesterId: track.entry.requesterId } : {}), positionSec, savedAt },
  };
}

/** Sends a normal channel message with the bot token (interaction tokens expire after 15 minutes). */
export async function sendTo(client: Client, channelId: string, message: string | { content: string; components?: unknown[] }): Promise<void> {
  const channel = await client.channels.fetch(channelId);
  if (!channel?.isSendable()) throw new Error(`cannot send to channel ${channelId}`);
  const payload = typeof message === 'string' ? { content: message } : message;
  await channel.send({ ...payload, allowedMentions: { parse: [] } } as Parameters<typeof channel.send>[0]);
}
