import { NetworkingStatusCode, VoiceConnectionStatus } from '@discordjs/voice';
import type { AudioPlayer, VoiceConnection } from '@discordjs/voice';

/** How long a new connection's player waits for its MLS group before it plays anyway. */
const E2EE_WAIT_MS = 5000;

/**
 * Plays the set's player on a voice connection once its frames can be end-to-end encrypted. On a DAVE call, a new
 * connection is Ready before its MLS group is: @discordjs/voice sends the frames of that moment in clear, and the
 * listeners' clients refuse them (UnencryptedWhenPassthroughDisabled) — a piece of the set lost at every (re)connection.
 * So the player is taken off a newly Ready connection until the group's transition is executed (it pauses and carries
 * on where it was), or for at most 5 s.
 */
export class EncryptedPlayback {
  private readonly connection: VoiceConnection;
  private player: AudioPlayer;
  private held: NodeJS.Timeout | undefined;

  constructor(connection: VoiceConnection, player: AudioPlayer) {
    this.connection = connection;
    this.player = player;
    connection.subscribe(player);
    connection.on(VoiceConnectionStatus.Ready, () => this.holdWhileGroupPending());
    connection.on('transitioned', () => this.release());
  }

  /** Plays another player (a paused set resumes with a new one). */
  play(player: AudioPlayer): void {
    this.player = player;
    if (!this.held) this.connection.subscribe(player);
  }

  close(): void {
    clearTimeout(this.held);
    this.held = undefined;
  }

  private holdWhileGroupPending(): void {
    const state = this.connection.state;
    if (state.status !== VoiceConnectionStatus.Ready || state.networking.state.code !== NetworkingStatusCode.Ready)
      return;
    const dave = state.networking.state.dave;
    if (!dave || dave.protocolVersion === 0 || dave.session?.ready) return;
    state.subscription?.unsubscribe();
    clearTimeout(this.held);
    this.held = setTimeout(() => this.release(), E2EE_WAIT_MS);
  }

  private release(): void {
    if (!this.held) return;
    this.close();
    if (this.connection.state.status !== VoiceConnectionStatus.Destroyed) this.connection.subscribe(this.player);
  }
}
