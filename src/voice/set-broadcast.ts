import { once } from 'node:events';
import { AudioPlayerStatus, createAudioPlayer, createAudioResource, NoSubscriberBehavior, StreamType } from '@discordjs/voice';
import type { AudioPlayer, AudioResource } from '@discordjs/voice';
import type { SetEngine } from '../audio/set-engine.ts';
import { oggOpusFromPcm } from './ogg-opus-stream.ts';
import type { OggOpusStream } from './ogg-opus-stream.ts';
import { pacePcm } from './paced-pcm.ts';

export const DEFAULT_LEAD_SEC = 1;

export interface SetBroadcastOptions {
  /** How far production may run ahead of playback (default 1 s). */
  leadSec?: number;
  bitrateKbps?: number;
}

/**
 * One guild's audio: the set engine's PCM, paced to playback, through one libopus encoder into one long-lived audio
 * resource on one player. The player never gives up on an underrun (`maxMissedFrames: Infinity`: it sends silence and
 * carries on) and pauses while no connection can hear it.
 */
export class SetBroadcast {
  readonly player: AudioPlayer;
  readonly resource: AudioResource;
  /** Resolves when the set has been played out (the player went idle). */
  readonly finished: Promise<void>;
  private readonly ogg: OggOpusStream;

  constructor(engine: SetEngine, opts: SetBroadcastOptions = {}) {
    this.player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Pause, maxMissedFrames: Infinity } });
    this.ogg = oggOpusFromPcm(pacePcm(engine.stream(), () => this.playedSec, opts.leadSec ?? DEFAULT_LEAD_SEC), opts.bitrateKbps);
    this.ogg.fed.catch(() => undefined);
    this.resource = createAudioResource(this.ogg.stream, { inputType: StreamType.OggOpus });
    this.finished = once(this.player, AudioPlayerStatus.Idle).then(() => undefined);
    // An error ends the resource (the player goes idle); without a listener it would crash the process.
    this.player.on('error', () => undefined);
    this.player.play(this.resource);
  }

  /** Set time (s) handed to the player so far. */
  get playedSec(): number {
    return this.resource.playbackDuration / 1000;
  }

  /** Why the encoder stopped being fed, if it failed. */
  get fed(): Promise<void> {
    return this.ogg.fed;
  }

  close(): void {
    this.ogg.stop();
    this.player.stop(true);
  }
}
