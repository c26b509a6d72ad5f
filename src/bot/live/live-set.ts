import type { TransitionReport } from '../../audio/set/set-report.ts';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AudioPlayerStatus } from '@discordjs/voice';
import type { Client, Guild } from 'discord.js';
import { AudioInputError } from '../../audio/io/audio-input-error.ts';
import { unplayableNotice } from './unplayable-notice.ts';
import { SetEngine } from '../../audio/set/set-engine.ts';
import type { SetEvent, UpcomingTransition } from '../../audio/set/set-engine.ts';
import type { TransitionRenderer } from '../../audio/transition/transition-renderer.ts';
import type { GuildSettings, GuildState, GuildStore, LiveSession } from '../../db/guild-store.ts';
import { SetBroadcast } from '../../voice/set-broadcast.ts';
import { VoiceLink } from '../../voice/voice-link.ts';
import type { VoiceReport } from '../../voice/voice-report.ts';
import { pickNextTrack } from '../playlist/next-track.ts';
import type { LiveTrack, NextTrackDeps } from '../playlist/next-track.ts';
import { LivePanel } from './live-panel.ts';
import { MixAnnouncer } from './mix-announcer.ts';
import { panelCard } from './panel-card.ts';
import type { PanelInput } from './panel-card.ts';
import { resumePoint } from './resume-point.ts';
import { sendTo } from './send-to.ts';
import { SkipVotes } from './skip-votes.ts';
import type { OrderMode } from '../../audio/set/order-mode.ts';
import { DJ_CUTS } from '../../audio/transition/mix-style.ts';
import type { MixStyle } from '../../audio/transition/mix-style.ts';
import { mixStyleOf } from './server-mix-style.ts';
import { displayTitle } from '../discord/track-title.ts';
import { publicState, releaseReplaced, sameState } from './live-set-state.ts';
import type { EndReason, Holding, LiveState, Playback, SetState } from './live-set-state.ts';

export type { EndReason, SetState };

export interface LiveSetTiming {
  /** How long the channel may be empty before the set pauses (default 60 s). */
  emptyGraceMs: number;
  /** How often the playing position is saved (default 5 s). */
  saveEveryMs: number;
  leadSec: number;
  /** A transition not rendered by the end of its body is replaced by a cut after this long (default 250 ms). */
  renderDeadlineMs: number;
  /** How long a start may take to be Ready and heard before it is given up (default 15 s). */
  readyTimeoutMs: number;
  /** How long a dropped voice connection may take to be Ready again before it is rejoined (default 15 s). */
  reconnectTimeoutMs: number;
  /** The panel is edited at most this often while nothing happens (default 15 s: well inside Discord's rate limits). */
  boardEveryMs: number;
  /** On events (a transition heard, a pause) the panel is edited at once, but never twice within this (default 2 s). */
  panelGapMs: number;
  /** This many messages after the panel bury it: it is re-posted at the bottom (default 10). */
  buryAfter: number;
  /** A minute, for the settings counted in minutes (tests shorten it). */
  minuteMs: number;
}

/** The render deadline stays well under the lead, so a late transition becomes a cut before the buffer runs dry. */
export const DEFAULT_TIMING: LiveSetTiming = {
  emptyGraceMs: 60_000,
  saveEveryMs: 5000,
  leadSec: 1,
  renderDeadlineMs: 250,
  readyTimeoutMs: 15_000,
  reconnectTimeoutMs: 15_000,
  boardEveryMs: 15_000,
  panelGapMs: 2000,
  buryAfter: 10,
  minuteMs: 60_000,
};

export interface LiveSetDeps extends NextTrackDeps {
  client: Client;
  store: GuildStore;
  renderer: Pick<TransitionRenderer, 'render'>;
  onError: (error: unknown) => void;
  /** Each transition as it is produced (the process's metrics and log). */
  onTransition?: (guildId: string, report: TransitionReport) => void;
  /** Each set's state changes (the process's log; LiveSets subscribes every set it starts). */
  onStateChange?: (guildId: string, from: SetState, to: SetState) => void;
  /** Its voice's rejoins and errors (the process's log and metrics); without it, connection errors go to `onError`. */
  onVoice?: (guildId: string, report: VoiceReport) => void;
  timing?: Partial<LiveSetTiming>;
}

export interface LiveSetParams {
  guild: Guild;
  voiceChannelId: string;
  textChannelId: string;
  order: OrderMode;
  /** Who started it: they may steer it while it plays. */
  starterId: string;
  first: LiveTrack;
  /** Track time to resume the first track at. */
  firstFromSec?: number;
  /** Called once the set is over, whatever ended it. */
  onEnded: () => void;
  /** Resuming after a restart: the set's panel and thread from before. */
  panelMessageId?: string;
  threadId?: string;
}

/** A track time anchored at a set time: the playing position is read off the latest anchor already heard. */
interface Anchor {
  setSec: number;
  trackSec: number;
  track: LiveTrack;
}

export interface LiveSetEvents {
  /** The set's state changed (`SetState`: its status, why it paused or ended). */
  stateChange: [from: SetState, to: SetState];
}

/** What every state but `ended` holds, carried over into the next. */
const holding = (s: Holding): Holding => ({ playback: s.playback, saveTimer: s.saveTimer });

/** A fade out on the next downbeat, played out; given up after 8 s (a player that never went idle). */
const fadedOut = (playback: Playback): Promise<unknown> =>
  Promise.race([playback.broadcast.finished, new Promise((resolve) => setTimeout(resolve, 8000).unref())]);

/**
 * One guild's live set: the engine picking tracks from the playlist (then the library), the broadcast into the voice
 * connection, and everything around it — the session saved as it plays (so a restart resumes it), "now mixing"
 * messages with 👍/👎, a now-playing message kept up to date, pausing while nobody listens or on request.
 * Its state (LiveState) owns its timers and playback, released in setState alone, which emits `stateChange`.
 */
export class LiveSet {
  readonly guildId: string;
  readonly textChannelId: string;
  readonly order: OrderMode;
  readonly starterId: string;
  readonly link: VoiceLink;
  private channelId: string;
  private readonly deps: LiveSetDeps;
  private readonly params: LiveSetParams;
  private readonly timing: LiveSetTiming;
  /** Bumped by each new playback: events and endings of a replaced one are ignored. */
  private generation = 0;
  private anchors: Anchor[] = [];
  private lastTrackKey: string | undefined;
  private lastTransition: { id: string; startSec: number; fromHash: string; toHash: string } | undefined;
  /** The latest transition listeners heard: the panel shows it with 👍/👎. */
  private lastMix: PanelInput['lastMix'];
  /** A pick of the next song is under way. */
  private picking = false;
  private state: LiveState;
  private readonly events = new EventEmitter<LiveSetEvents>();
  private stopping: Promise<void> | undefined;
  private ended: Promise<void> | undefined;
  private writes: Promise<void> = Promise.resolve();
  /** The position savePosition wrote last: a paused set does not write the same one again. */
  private savedPosition: { hash: string; positionSec: number } | undefined;
  /** A member's pause while its fade plays out: a resume waits for it. */
  private pausing: Promise<unknown> = Promise.resolve();
  private resuming: Promise<{ track: LiveTrack; fromSec?: number } | undefined> | undefined;
  private readonly panel: LivePanel;
  private readonly announcer: MixAnnouncer;
  readonly skipVotes = new SkipVotes();
  /** The server's mix style, read with each pick and told by /djset settings: the engine plans with it. */
  private mixStyle: MixStyle = DJ_CUTS;

  constructor(deps: LiveSetDeps, params: LiveSetParams) {
    this.deps = deps;
    this.params = params;
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.guildId = params.guild.id;
    this.channelId = params.voiceChannelId;
    this.textChannelId = params.textChannelId;
    this.order = params.order;
    this.starterId = params.starterId;
    const playback = this.startPlayback(params.first, params.firstFromSec);
    this.state = {
      status: 'connecting',
      playback,
      saveTimer: setInterval(() => this.savePosition(), this.timing.saveEveryMs),
    };
    this.link = new VoiceLink({
      guildId: this.guildId,
      channelId: params.voiceChannelId,
      adapterCreator: params.guild.voiceAdapterCreator,
      player: playback.broadcast.player,
      onLost: (why) => void this.end('lost', why),
      onError: (error) => this.reportVoice({ type: 'error', kind: 'connection', error }),
      onRejoin: (reason) => this.reportVoice({ type: 'rejoin', reason }),
      reconnectTimeoutMs: this.timing.reconnectTimeoutMs,
    });
    this.panel = new LivePanel({
      client: deps.client,
      guildId: this.guildId,
      channelId: params.textChannelId,
      everyMs: this.timing.boardEveryMs,
      minGapMs: this.timing.panelGapMs,
      buryAfter: this.timing.buryAfter,
      ...(params.panelMessageId ? { messageId: params.panelMessageId } : {}),
      view: () => panelCard(this.panelInput()),
      onMessage: (id) => void this.write(inSession({ panelMessageId: id })),
      onError: deps.onError,
    });
    this.announcer = new MixAnnouncer({
      client: deps.client,
      channelId: params.textChannelId,
      ...(params.threadId ? { threadId: params.threadId } : {}),
      onThread: (id) => void this.write(inSession({ threadId: id })),
      onError: deps.onError,
    });
  }

  on<E extends keyof LiveSetEvents>(event: E, listener: (...args: LiveSetEvents[E]) => void): this {
    this.events.on(event, listener as never);
    return this;
  }

  off<E extends keyof LiveSetEvents>(event: E, listener: (...args: LiveSetEvents[E]) => void): this {
    this.events.off(event, listener as never);
    return this;
  }

  /** A new mix style, from the next transition (the coming one too, when there is time to render it again). */
  setMixStyle(style: MixStyle): void {
    this.mixStyle = style;
  }

  /** The voice channel the bot is in now (a moderator may have moved it). */
  get voiceChannelId(): string {
    return this.channelId;
  }

  get engine(): SetEngine<LiveTrack> {
    return this.state.playback.engine;
  }

  get broadcast(): SetBroadcast {
    return this.state.playback.broadcast;
  }

  get status(): SetState {
    return publicState(this.state);
  }

  /** Paused for whatever reason. */
  get paused(): boolean {
    return this.state.status === 'paused';
  }

  private pausedBy(by: 'empty' | 'member'): boolean {
    return this.state.status === 'paused' && this.state.by === by;
  }

  /**
   * The only place the state changes: what the old state owned and the new one does not carry on (its timers, its
   * playback; at the end the voice connection too) is released here. A new status (or pause) starts what it needs —
   * a paused set's leave timer, the panel's edit — and is told as `stateChange`.
   */
  private setState(next: LiveState): void {
    const from = this.state;
    if (from.status === 'ended') return;
    this.state = next;
    releaseReplaced(from, next);
    if (next.status === 'ended') this.link.destroy();
    const [was, now] = [publicState(from), publicState(next)];
    if (sameState(was, now)) return;
    if (next.status === 'paused') void this.armLeaveTimer(next.by);
    this.panel.refresh();
    this.events.emit('stateChange', was, now);
  }

  /**
   * Resolves once the connection is Ready and the first audio has been handed to it; rejects (the caller ends the
   * set) when that takes longer than the start timeout.
   */
  async whenAudible(): Promise<void> {
    const started = performance.now();
    await this.link.ready(this.timing.readyTimeoutMs).catch(() => {
      throw new Error('the voice connection was not ready in time');
    });
    await this.broadcast.audible(Math.max(0, this.timing.readyTimeoutMs - (performance.now() - started)));
    if (this.state.status !== 'connecting') return;
    this.setState({ status: 'playing', ...holding(this.state) });
    this.checkListeners();
    this.panel.start();
  }

  private reportVoice(report: VoiceReport): void {
    if (this.deps.onVoice) this.deps.onVoice(this.guildId, report);
    else if (report.type === 'error' && report.kind === 'connection') this.deps.onError(report.error);
  }

  /** Something the panel shows changed (a vote to skip). */
  panelChanged(): void {
    this.panel.refresh();
  }

  /** What the panel shows now. */
  private panelInput(): PanelInput {
    const state = this.state;
    const status: PanelInput['status'] =
      state.status === 'paused'
        ? state.by === 'empty'
          ? 'paused-empty'
          : 'paused'
        : state.status === 'stopping' || state.status === 'ended'
          ? 'ended'
          : state.status;
    const now = this.nowPlaying();
    const next = this.upcoming();
    const listenerIds = this.listenerIds();
    const skipVotes = this.skipVotes.tally(listenerIds);
    const engine = this.engine.state;
    return {
      status,
      voiceChannelId: this.voiceChannelId,
      listeners: listenerIds.length,
      picking: this.picking,
      ...(now ? { now } : {}),
      ...(next ? { next } : {}),
      ...(engine.status === 'transition' ? { mixingInto: engine.to } : {}),
      ...(this.lastMix ? { lastMix: this.lastMix } : {}),
      ...(skipVotes.votes > 0 ? { skipVotes } : {}),
    };
  }

  /** The track heard now and where in it (track seconds). */
  nowPlaying(): { track: LiveTrack; positionSec: number } | undefined {
    const played = this.broadcast.playedSec;
    const anchor = this.anchors.findLast((a) => a.setSec <= played) ?? this.anchors[0];
    if (!anchor) return undefined;
    return { track: anchor.track, positionSec: anchor.trackSec + Math.max(0, played - anchor.setSec) };
  }

  /** The next transition and how many seconds until listeners hear it start. */
  upcoming(): (UpcomingTransition<LiveTrack> & { inSec: number }) | undefined {
    if (this.state.status !== 'playing' && this.state.status !== 'connecting') return undefined;
    const next = this.engine.upcoming;
    return next ? { ...next, inSec: Math.max(0, next.startSec - this.broadcast.playedSec) } : undefined;
  }

  /** The transition heard most recently, while it or its first minute after is playing (a skip then judges it). */
  recentTransition(windowSec = 60): { id: string; fromHash: string; toHash: string } | undefined {
    const t = this.lastTransition;
    // Produced up to the stream's lead before it is heard: a transition about to be heard counts too.
    return t &&
      this.broadcast.playedSec - t.startSec <= windowSec &&
      t.startSec - this.broadcast.playedSec <= this.timing.leadSec + 1
      ? t
      : undefined;
  }

  /** The latest transition listeners have heard start (for the now-playing message's vote buttons). */
  heardTransition(): { id: string } | undefined {
    const t = this.lastTransition;
    return t && t.startSec <= this.broadcast.playedSec ? t : undefined;
  }

  skip(): void {
    this.engine.skip();
    const judged = this.recentTransition();
    if (judged)
      void this.write((s) => ({
        ...s,
        transitions: s.transitions.map((t) => (t.id === judged.id ? { ...t, skipped: true } : t)),
      }));
  }

  /** A transition is playing now, or the next one is planned. */
  get canSkip(): boolean {
    return this.state.status === 'playing' && (this.engine.transitioning || this.engine.upcoming !== undefined);
  }

  /**
   * Fades out on the next downbeat and holds the position; `resume()` carries on from the downbeat where it faded.
   * False when the set is not playing.
   */
  async pause(): Promise<boolean> {
    const was = this.state;
    if (was.status !== 'playing' && !(was.status === 'paused' && was.by === 'empty')) return false;
    this.setState({ status: 'paused', by: 'member', ...holding(was) });
    const { playback } = was;
    if (was.status === 'playing') playback.engine.stop();
    this.pausing = (was.status === 'playing' ? fadedOut(playback) : Promise.resolve()).then(() =>
      playback.broadcast.close(),
    );
    await this.pausing;
    await this.write(this.withHeardPosition());
    return true;
  }

  /**
   * From the downbeat the pause faded out on (or the next song when little of this one is left), fading in. Says what
   * plays from where; undefined when the set is not paused or nothing is left to play (the set then ends).
   */
  resume(): Promise<{ track: LiveTrack; fromSec?: number } | undefined> {
    // Two members resuming at once start one playback.
    this.resuming ??= this.resumeOnce().finally(() => (this.resuming = undefined));
    return this.resuming;
  }

  private async resumeOnce(): Promise<{ track: LiveTrack; fromSec?: number } | undefined> {
    if (!this.pausedBy('member')) return undefined;
    await this.pausing;
    if (!this.pausedBy('member')) return undefined;
    const held = this.nowPlaying();
    let first = held?.track;
    let fromSec = held ? resumePoint(held.track, held.positionSec) : undefined;
    if (held && fromSec === undefined && held.positionSec >= 1) {
      first = await this.pick(held.track);
      fromSec = undefined;
    }
    if (!first) {
      void this.end('finished');
      return undefined;
    }
    // Ended (or stopping) while the next song was picked: nothing to start.
    const paused = this.state;
    if (paused.status !== 'paused' || paused.by !== 'member') return undefined;
    this.anchors = [];
    this.lastTransition = undefined;
    const playback = this.startPlayback(first, fromSec);
    this.link.play(playback.broadcast.player);
    this.setState({ status: 'playing', playback, saveTimer: paused.saveTimer });
    this.checkListeners();
    return { track: first, ...(fromSec !== undefined ? { fromSec } : {}) };
  }

  /**
   * Fades out on the next downbeat and leaves. `stopped` forgets the session; `shutdown` keeps it (and the position)
   * so the next start resumes.
   */
  stop(reason: 'stopped' | 'shutdown'): Promise<void> {
    const state = this.state;
    if (state.status === 'ended') return this.ended ?? Promise.resolve();
    if (!this.stopping) {
      this.setState({ status: 'stopping', ...holding(state) });
      state.playback.engine.stop();
      this.stopping = (state.status === 'playing' ? fadedOut(state.playback) : Promise.resolve()).then(() =>
        this.end(reason),
      );
    }
    return this.stopping;
  }

  /** Ends the set at once: the encoder killed, the connection left, the session saved (`shutdown`) or cleared. */
  end(reason: EndReason, detail?: unknown): Promise<void> {
    const state = this.state;
    if (state.status === 'ended') return this.ended ?? Promise.resolve();
    const heard = this.withHeardPosition();
    // The last edit of the panel: the buttons go; after a restart the same message is edited again.
    const last = this.deps.client.guilds.cache.has(this.guildId)
      ? panelCard({ ...this.panelInput(), status: reason === 'shutdown' ? 'restarting' : 'ended' })
      : undefined;
    const panelDone = this.panel.stop(last);
    this.setState({ status: 'ended', reason, playback: state.playback });
    const update =
      reason === 'shutdown' ? heard : (s: GuildState) => ({ ...s, session: undefined, setStarterId: undefined });
    this.ended = Promise.all([this.write(update), panelDone])
      .then(() => this.sayWhyItEnded(reason, detail))
      .catch(this.deps.onError)
      .finally(() => this.params.onEnded());
    return this.ended;
  }

  private async sayWhyItEnded(reason: EndReason, detail: unknown): Promise<void> {
    if (reason === 'lost')
      await this.post(
        `Mini-DJ ${String(detail)} in <#${this.voiceChannelId}>, so the set stopped. Use /djset start to carry on.`,
      );
    if (reason === 'finished')
      await this.post(
        'The set is over: there is nothing left to play. Add songs with /queue add and /djset start again.',
      );
    if (reason === 'idle') await this.post(String(detail));
    if (reason === 'failed') {
      await this.post(
        detail instanceof AudioInputError
          ? 'The set stopped: its audio could not be decoded and nothing playable was ready to follow. Add songs with /queue add and /djset start again.'
          : 'The set stopped after an internal error (it is logged). Use /djset start to carry on.',
      );
    }
  }

  private startPlayback(first: LiveTrack, fromSec: number | undefined): Playback {
    const generation = ++this.generation;
    const engine = new SetEngine<LiveTrack>([first], {
      renderer: this.deps.renderer,
      renderDeadlineMs: this.timing.renderDeadlineMs,
      reportLimit: 8,
      nextTrack: (current) => this.pick(current),
      mixStyle: () => this.mixStyle,
      onEvent: (event) => {
        if (this.generation === generation) this.onEvent(event);
      },
      ...(fromSec !== undefined ? { firstFromSec: fromSec } : {}),
    });
    const broadcast = new SetBroadcast(engine, {
      leadSec: this.timing.leadSec,
      onError: (error) => this.reportVoice({ type: 'error', kind: 'player', error }),
    });
    const playback: Playback = { engine, broadcast };
    // A player that was auto-paused (connection not ready) when the room emptied is paused once it plays again.
    broadcast.player.on(AudioPlayerStatus.Playing, () => {
      if (this.pausedBy('empty')) broadcast.player.pause(true);
    });
    // Played out on its own (nothing left to play, or the stream failed); a stop or a pause ends it otherwise.
    const failure = broadcast.fed.then(
      () => undefined,
      // The stream's failure is kept to say why the set ended.
      (error: unknown) => error,
    );
    void broadcast.finished.then(async () => {
      const producing = this.state.status === 'playing' || this.state.status === 'connecting' || this.pausedBy('empty');
      if (this.generation !== generation || !producing) return;
      const error = await failure;
      if (error) this.deps.onError(error);
      return this.end(error ? 'failed' : 'finished', error);
    });
    return playback;
  }

  private async pick(current: LiveTrack): Promise<LiveTrack | undefined> {
    this.picking = true;
    try {
      await this.writes;
      const state = await this.deps.store.get(this.guildId);
      this.mixStyle = mixStyleOf(state.settings);
      const { track, unplayable } = await pickNextTrack(state, current, this.order, this.deps);
      // Held while its transition renders and it waits its turn: the disk quota never removes it.
      if (track)
        await this.write((s) =>
          s.session && s.session.nextHash !== track.hash
            ? { ...s, session: { ...s.session, nextHash: track.hash } }
            : s,
        );
      if (unplayable.length > 0) {
        const ids = new Set(unplayable.map((e) => e.id));
        await this.write((s) => ({ ...s, playlist: s.playlist.filter((e) => !ids.has(e.id)) }));
        await this.post(
          `Removed from the playlist because its audio is no longer in the library: ${unplayable.map((e) => `"${displayTitle(e.title)}"`).join(', ')}. Add it again with /queue add.`,
        );
      }
      return track;
    } catch (error) {
      this.deps.onError(error);
      return undefined;
    } finally {
      this.picking = false;
    }
  }

  private onEvent(event: SetEvent<LiveTrack>): void {
    if (event.type === 'track') return this.onTrack(event.track, event.setSec, event.trackSec);
    if (event.type === 'deck-error') {
      this.deps.onError(event.error);
      if (!event.recovered) void this.post(unplayableNotice(event.track.title, event.error));
      return;
    }
    const { from, to } = event;
    this.deps.onTransition?.(this.guildId, event.report);
    const id = randomUUID().slice(0, 8);
    this.lastTransition = { id, startSec: event.report.startSec, fromHash: from.hash, toHash: to.hash };
    void this.write((s) => ({
      ...s,
      transitions: [
        ...s.transitions,
        {
          id,
          fromHash: from.hash,
          toHash: to.hash,
          fromTitle: from.title,
          toTitle: to.title,
          at: new Date().toISOString(),
        },
      ],
    }));
    // Shown when listeners hear it start, not when it is produced.
    const heardInMs = Math.max(0, (event.report.startSec - this.broadcast.playedSec) * 1000);
    const timer = setTimeout(() => void this.heard(id, event.report), heardInMs);
    timer.unref();
  }

  /** A transition listeners hear start: into the panel, and a line or a thread message when the server asks. */
  private async heard(id: string, report: TransitionReport): Promise<void> {
    if (this.state.status === 'ended') return;
    this.lastMix = { id, report };
    this.panel.refresh();
    if (!this.deps.client.guilds.cache.has(this.guildId)) return;
    const mode = (await this.settings())?.announce ?? 'panel';
    await this.announcer.announce(mode, id, report).catch(this.deps.onError);
  }

  private onTrack(track: LiveTrack, setSec: number, trackSec: number): void {
    this.anchors.push({ setSec, trackSec, track });
    if (this.anchors.length > 8) this.anchors.shift();
    const key = `${track.hash}:${track.entry?.id ?? ''}`;
    if (key === this.lastTrackKey) return;
    this.lastTrackKey = key;
    this.skipVotes.reset(key);
    void this.deps.files.markPlayed(track.file);
    const now = new Date().toISOString();
    const led = this.lastTransition?.toHash === track.hash ? this.lastTransition.id : undefined;
    void this.write((s) => ({
      ...s,
      playlist: track.entry ? s.playlist.filter((e) => e.id !== track.entry!.id) : s.playlist,
      history: [
        ...s.history,
        {
          hash: track.hash,
          playedAt: now,
          title: track.title,
          ...(track.entry ? { addedAt: track.entry.addedAt, requesterId: track.entry.requesterId } : {}),
          ...(led ? { transitionId: led } : {}),
        },
      ],
      session: { ...sessionFor(this, track, trackSec, s.session?.startedAt ?? now, now), ...messagesOf(s.session) },
    }));
  }

  /** Beside the record, not in it (GuildStore.savePosition): every live set saves this every few seconds. */
  private savePosition(): void {
    if (this.state.status !== 'playing' && this.state.status !== 'paused') return;
    const now = this.nowPlaying();
    if (!now) return;
    const position = { hash: now.track.hash, positionSec: Number(now.positionSec.toFixed(2)) };
    if (position.hash === this.savedPosition?.hash && position.positionSec === this.savedPosition.positionSec) return;
    this.savedPosition = position;
    void this.inOrder(() =>
      this.deps.store.savePosition(this.guildId, { ...position, savedAt: new Date().toISOString() }),
    );
  }

  /** An update that saves where the song playing is heard now (nothing when the session moved on to another song). */
  private withHeardPosition(): (s: GuildState) => GuildState {
    const now = this.nowPlaying();
    const voiceChannelId = this.voiceChannelId;
    return (s) => {
      const positionSec = now ? Number(now.positionSec.toFixed(2)) : undefined;
      if (!s.session || !now || s.session.current.hash !== now.track.hash) return s;
      if (s.session.current.positionSec === positionSec && s.session.voiceChannelId === voiceChannelId) return s;
      return {
        ...s,
        session: {
          ...s.session,
          voiceChannelId,
          current: { ...s.session.current, positionSec: positionSec!, savedAt: new Date().toISOString() },
        },
      };
    };
  }

  private write(fn: Parameters<GuildStore['update']>[1]): Promise<void> {
    return this.inOrder(() => this.deps.store.update(this.guildId, fn));
  }

  /**
   * Store writes in order, errors reported and never thrown into the audio path. The chain keeps nothing of what a
   * write returns: a 1,000-song record parses to 0.35 MB, and every live set holding its last one keeps V8's old
   * generation, and so its mark-compact pauses, that much larger.
   */
  private inOrder(op: () => Promise<unknown>): Promise<void> {
    this.writes = this.writes
      .then(async () => {
        await op();
      })
      .catch(this.deps.onError);
    return this.writes;
  }

  private async post(message: string | Parameters<typeof sendTo>[2]): Promise<void> {
    // Removed from the server: there is nowhere to say it.
    if (!this.deps.client.guilds.cache.has(this.guildId)) return;
    await sendTo(this.deps.client, this.textChannelId, message).catch(this.deps.onError);
  }

  /** Every voice state change in this guild (one listener for all sets, in LiveSets). */
  onVoiceState(oldChannelId: string | null, newChannelId: string | null, userId: string): void {
    if (this.state.status === 'ended') return;
    if (userId === this.deps.client.user?.id) {
      // Moved by a moderator: the connection follows by itself; the set follows the channel it is in now.
      if (newChannelId && newChannelId !== this.channelId) {
        this.channelId = newChannelId;
        void this.write(this.withChannel(newChannelId));
        this.checkListeners();
      }
      return;
    }
    if (oldChannelId === this.channelId || newChannelId === this.channelId) this.checkListeners();
  }

  private withChannel(voiceChannelId: string): (s: GuildState) => GuildState {
    return (s) =>
      s.session && s.session.voiceChannelId !== voiceChannelId
        ? { ...s, session: { ...s.session, voiceChannelId } }
        : s;
  }

  /** Members other than bots in the set's voice channel. */
  listeners(): number {
    return this.listenerIds().length;
  }

  listenerIds(): string[] {
    const guild = this.deps.client.guilds.cache.get(this.guildId);
    if (!guild) return [];
    return [
      ...guild.voiceStates.cache
        .filter(
          (v) =>
            v.channelId === this.channelId &&
            !this.deps.client.users.cache.get(v.id)?.bot &&
            v.id !== this.deps.client.user?.id,
        )
        .keys(),
    ];
  }

  /**
   * Somebody listening: an empty-channel countdown is dropped, a set paused for want of listeners carries on. Nobody:
   * a playing set counts down `emptyGraceMs` (its state's `emptyTimer`), then pauses.
   */
  private checkListeners(): void {
    const state = this.state;
    if (this.listeners() > 0) {
      if (state.status === 'playing' && state.emptyTimer) this.setState({ ...state, emptyTimer: undefined });
      if (state.status === 'paused' && state.by === 'empty') {
        this.setState({ status: 'playing', ...holding(state) });
        this.broadcast.player.unpause();
        void this.post(`Welcome back: the set carries on in <#${this.voiceChannelId}>.`);
      }
      return;
    }
    if (state.status !== 'playing' || state.emptyTimer) return;
    this.setState({ ...state, emptyTimer: setTimeout(() => this.nobodyListened(), this.timing.emptyGraceMs) });
  }

  private nobodyListened(): void {
    const state = this.state;
    if (state.status !== 'playing') return;
    if (this.listeners() > 0) return this.setState({ ...state, emptyTimer: undefined });
    this.setState({ status: 'paused', by: 'empty', ...holding(state) });
    this.broadcast.player.pause(true);
    void this.post(
      `Nobody is listening in <#${this.voiceChannelId}>, so the set is paused. It carries on when someone joins.`,
    );
  }

  /** The server's settings; none (the defaults) when the store cannot be read, which is reported. */
  private async settings(): Promise<GuildSettings | undefined> {
    try {
      return (await this.deps.store.get(this.guildId)).settings;
    } catch (error) {
      this.deps.onError(error);
      return undefined;
    }
  }

  /** A paused set leaves after the server's limit: `stay` for an empty channel (none: 24/7), `pauseMinutes` for /djset pause. */
  private async armLeaveTimer(by: 'empty' | 'member'): Promise<void> {
    const settings = await this.settings();
    const minutes = by === 'empty' ? settings?.stayMinutes : settings?.pauseMinutes;
    const state = this.state;
    if (minutes === undefined || state.status !== 'paused' || state.by !== by || state.leaveTimer) return;
    const why =
      by === 'empty'
        ? `Nobody listened in <#${this.voiceChannelId}> for ${minutes} minute${minutes === 1 ? '' : 's'}, so Mini-DJ left. The playlist stays; /djset start carries on.`
        : `The set was paused for ${minutes} minute${minutes === 1 ? '' : 's'}, so Mini-DJ left <#${this.voiceChannelId}>. The playlist stays; /djset start carries on.`;
    const leaveTimer = setTimeout(() => void this.end('idle', why), minutes * this.timing.minuteMs);
    leaveTimer.unref();
    this.setState({ ...state, leaveTimer });
  }
}

/** The panel and thread a session names, carried over when the session is written anew. */
function messagesOf(session: LiveSession | undefined): Pick<LiveSession, 'panelMessageId' | 'threadId'> {
  return {
    ...(session?.panelMessageId ? { panelMessageId: session.panelMessageId } : {}),
    ...(session?.threadId ? { threadId: session.threadId } : {}),
  };
}

/** An update that names the set's panel or thread in its saved session (none once the session is cleared). */
function inSession(fields: Pick<LiveSession, 'panelMessageId' | 'threadId'>): (s: GuildState) => GuildState {
  return (s) => (s.session ? { ...s, session: { ...s.session, ...fields } } : s);
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
    current: {
      hash: track.hash,
      title: track.title,
      ...(track.entry ? { requesterId: track.entry.requesterId } : {}),
      positionSec,
      savedAt,
    },
  };
}
