import { entersState, joinVoiceChannel, VoiceConnectionDisconnectReason, VoiceConnectionStatus } from '@discordjs/voice';
import type { AudioPlayer, DiscordGatewayAdapterCreator, VoiceConnection } from '@discordjs/voice';

export interface VoiceLinkOptions {
  guildId: string;
  channelId: string;
  adapterCreator: DiscordGatewayAdapterCreator;
  player: AudioPlayer;
  /** Called once when the connection is lost for good (kicked, every rejoin failed, or destroyed by the gateway side). */
  onLost: (why: string) => void;
  /** Rejoin attempts before giving up (default 5), with waits doubling from `firstRetryMs` (default 1 s). */
  maxRejoins?: number;
  firstRetryMs?: number;
  /** How long a bot removed from the channel waits to be moved elsewhere before giving up (default 5 s). */
  movedGraceMs?: number;
}

/** Closed by Discord when the bot was disconnected from the channel (by a member, or the channel went away). */
const DISCONNECTED_BY_DISCORD = 4014;

/**
 * The guild's voice connection, subscribed to the set's player and kept alive: a dropped connection rejoins with
 * back-off (the player pauses meanwhile and resumes where it was); a bot removed from the channel gets a few seconds
 * to be moved elsewhere before the set ends.
 */
export class VoiceLink {
  readonly connection: VoiceConnection;
  private rejoins = 0;
  private destroyed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(opts: VoiceLinkOptions) {
    this.connection = joinVoiceChannel({ guildId: opts.guildId, channelId: opts.channelId, adapterCreator: opts.adapterCreator, selfDeaf: true });
    this.connection.subscribe(opts.player);
    this.connection.on('error', () => undefined);
    this.connection.on(VoiceConnectionStatus.Ready, () => (this.rejoins = 0));
    this.connection.on(VoiceConnectionStatus.Disconnected, (_old, state) => {
      void this.recover(state.reason === VoiceConnectionDisconnectReason.WebSocketClose && state.closeCode === DISCONNECTED_BY_DISCORD, opts);
    });
    // Destroyed without us asking: the bot was removed from the server, or its gateway shard closed for good.
    this.connection.on(VoiceConnectionStatus.Destroyed, () => {
      if (!this.destroyed) this.lose(opts, 'lost its voice connection for good (removed from the server, or its gateway connection closed)');
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
    this.connection.subscribe(player);
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
        this.lose(opts, 'was disconnected from the voice channel');
      }
      return;
    }
    if (this.rejoins >= (opts.maxRejoins ?? 5)) return this.lose(opts, 'lost the voice connection and could not get it back');
    const wait = (opts.firstRetryMs ?? 1000) * 2 ** this.rejoins;
    this.rejoins += 1;
    this.retry = setTimeout(() => {
      if (this.destroyed || this.connection.state.status !== VoiceConnectionStatus.Disconnected) return;
      // A failed rejoin stays Disconnected, which emits no new 'disconnected' event: go round again from here.
      if (!this.connection.rejoin()) void this.recover(false, opts);
    }, wait);
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
    if (this.connection.state.status !== VoiceConnectionStatus.Destroyed) this.connection.destroy();
  }
}
