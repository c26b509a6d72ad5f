import {
  entersState,
  joinVoiceChannel,
  VoiceConnectionDisconnectReason,
  VoiceConnectionStatus,
} from '@discordjs/voice';
import type {
  AudioPlayer,
  DiscordGatewayAdapterCreator,
  VoiceConnection,
  VoiceConnectionState,
} from '@discordjs/voice';
import { EncryptedPlayback } from './encrypted-playback.ts';
import type { RejoinReason } from './voice-report.ts';

export interface VoiceLinkOptions {
  guildId: string;
  channelId: string;
  adapterCreator: DiscordGatewayAdapterCreator;
  player: AudioPlayer;
  /** Called once when the connection is lost for good (kicked, every rejoin failed, or destroyed by the gateway side). */
  onLost: (why: string) => void;
  /** What went wrong on the way (the voice websocket, UDP, encryption): for the log; the link carries on. */
  onError?: (error: Error) => void;
  /** Each time the connection joins its channel again, and why: for the log and the metrics. */
  onRejoin?: (reason: RejoinReason) => void;
  /** Rejoin attempts before giving up (default 5), with waits doubling from `firstRetryMs` (default 1 s). */
  maxRejoins?: number;
  firstRetryMs?: number;
  /** How long a bot removed from the channel waits to be moved elsewhere before giving up (default 5 s). */
  movedGraceMs?: number;
  /** How long a dropped connection may take to be Ready again before it is rejoined (default 15 s). */
  reconnectTimeoutMs?: number;
}

const LOST = 'lost the voice connection and could not get it back';

/** Closed by Discord when the bot was disconnected from the channel (by a member, or the channel went away). */
const DISCONNECTED_BY_DISCORD = 4014;

function rejoinReason(from: VoiceConnectionState, unsticking: boolean): RejoinReason {
  if (unsticking) return 'stuck';
  return from.status === VoiceConnectionStatus.Disconnected ? 'dropped' : 'closed';
}

/**
 * The guild's voice connection, playing the set's player (end-to-end encrypted: encrypted-playback.ts) and kept alive:
 * a dropped connection rejoins with back-off (the player pauses meanwhile and resumes where it was), one that does not
 * come back is rejoined after the reconnect timeout; a bot removed from the channel gets a few seconds to be moved
 * elsewhere before the set ends.
 */
export class VoiceLink {
  readonly connection: VoiceConnection;
  private readonly playback: EncryptedPlayback;
  private rejoins = 0;
  private destroyed = false;
  private retry: NodeJS.Timeout | undefined;
  /** Armed while a connection that was Ready is not: a voice server that went quiet leaves it connecting for ever. */
  private stuck: NodeJS.Timeout | undefined;
  private wasReady = false;
  private rejoining = false;

  constructor(opts: VoiceLinkOptions) {
    this.connection = joinVoiceChannel({
      guildId: opts.guildId,
      channelId: opts.channelId,
      adapterCreator: opts.adapterCreator,
      selfDeaf: true,
    });
    this.playback = new EncryptedPlayback(this.connection, opts.player);
    this.connection.on('error', (error) => opts.onError?.(error));
    this.connection.on(VoiceConnectionStatus.Ready, () => (this.rejoins = 0));
    this.connection.on('stateChange', (from, to) => this.watch(from, to, opts));
    this.connection.on(VoiceConnectionStatus.Disconnected, (_old, state) => {
      void this.recover(
        state.reason === VoiceConnectionDisconnectReason.WebSocketClose && state.closeCode === DISCONNECTED_BY_DISCORD,
        opts,
      );
    });
    // Destroyed without us asking: the bot was removed from the server, or its gateway shard closed for good.
    this.connection.on(VoiceConnectionStatus.Destroyed, () => {
      if (!this.destroyed)
        this.lose(
          opts,
          'lost its voice connection for good (removed from the server, or its gateway connection closed)',
        );
    });
    // The first join can fail before anyone listens (the gateway shard is down): that is a dropped connection too.
    if (this.connection.state.status === VoiceConnectionStatus.Disconnected) void this.recover(false, opts);
  }

  /** Resolves once the connection is Ready (signalled and its voice server connected); rejects after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    await entersState(this.connection, VoiceConnectionStatus.Ready, timeoutMs);
  }

  get isReady(): boolean {
    return this.connection.state.status === VoiceConnectionStatus.Ready;
  }

  /** Plays another player on the same connection (a paused set resumes with a new one). */
  play(player: AudioPlayer): void {
    this.playback.play(player);
  }

  private async recover(removed: boolean, opts: VoiceLinkOptions): Promise<void> {
    if (removed) {
      try {
        // Moved to another channel: Discord reconnects us by itself.
        await Promise.race([
          entersState(this.connection, VoiceConnectionStatus.Signalling, opts.movedGraceMs ?? 5000),
          entersState(this.connection, VoiceConnectionStatus.Connecting, opts.movedGraceMs ?? 5000),
        ]);
      } catch {
        // Not reconnecting within the grace: a real disconnect, reported as a lost link.
        this.lose(opts, 'was disconnected from the voice channel');
      }
      return;
    }
    if (this.rejoins >= (opts.maxRejoins ?? 5)) return this.lose(opts, LOST);
    const wait = (opts.firstRetryMs ?? 1000) * 2 ** this.rejoins;
    this.rejoins += 1;
    this.retry = setTimeout(() => {
      if (this.destroyed || this.connection.state.status !== VoiceConnectionStatus.Disconnected) return;
      // A failed rejoin stays Disconnected, which emits no new 'disconnected' event: go round again from here.
      if (!this.connection.rejoin()) void this.recover(false, opts);
    }, wait);
  }

  /**
   * Once Ready, a connection that is not Ready again within the reconnect timeout is rejoined; and the library's own
   * rejoins (it asks Discord at once each time a voice server closes a session) are counted: a server that keeps
   * refusing ends the set after `maxRejoins`, rather than the bot asking the gateway to join many times a second.
   */
  private watch(from: VoiceConnectionState, to: VoiceConnectionState, opts: VoiceLinkOptions): void {
    // Signalling again: the connection asked the gateway to join its channel once more (the first join starts there).
    if (to.status === VoiceConnectionStatus.Signalling && from.status !== VoiceConnectionStatus.Signalling)
      opts.onRejoin?.(rejoinReason(from, this.rejoining));
    // Ready; or disconnected, which recover() rejoins with back-off; or gone.
    if (
      to.status === VoiceConnectionStatus.Ready ||
      to.status === VoiceConnectionStatus.Disconnected ||
      to.status === VoiceConnectionStatus.Destroyed
    ) {
      clearTimeout(this.stuck);
      this.stuck = undefined;
      this.wasReady ||= to.status === VoiceConnectionStatus.Ready;
      return;
    }
    if (!this.wasReady || this.destroyed) return;
    const refused =
      from.status === VoiceConnectionStatus.Connecting &&
      to.status === VoiceConnectionStatus.Signalling &&
      !this.rejoining;
    // Not destroyed inside the library's own state change: it goes on to use the connection's adapter.
    if (refused && ++this.rejoins > (opts.maxRejoins ?? 5)) return queueMicrotask(() => this.lose(opts, LOST));
    this.stuck ??= setTimeout(() => this.unstick(opts), opts.reconnectTimeoutMs ?? 15_000);
  }

  /** Still not Ready: join again (Discord answers with a voice server, another one when that one is down). */
  private unstick(opts: VoiceLinkOptions): void {
    this.stuck = undefined;
    if (this.destroyed || this.isReady) return;
    if (++this.rejoins > (opts.maxRejoins ?? 5)) return this.lose(opts, LOST);
    this.rejoining = true;
    // Signalling again: watch() arms the next timeout.
    this.connection.rejoin();
    this.rejoining = false;
  }

  private lose(opts: VoiceLinkOptions, why: string): void {
    if (this.destroyed) return;
    this.destroy();
    opts.onLost(why);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.retry);
    clearTimeout(this.stuck);
    this.playback.close();
    if (this.connection.state.status !== VoiceConnectionStatus.Destroyed) this.connection.destroy();
  }
}
