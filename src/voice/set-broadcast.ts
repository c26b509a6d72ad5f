import { once } from 'node:events';
import { setTimeout as realSleep } from 'node:timers/promises';
import { AudioPlayerStatus, createAudioPlayer, createAudioResource, NoSubscriberBehavior, StreamType } from '@discordjs/voice';
import type { AudioPlayer, AudioResource } from '@discordjs/voice';
import type { SetEngine } from '../audio/set/set-engine.ts';
import { oggOpusFromPcm } from './ogg-opus-stream.ts';
import type { OggOpusStream } from './ogg-opus-stream.ts';
import { pacePcm } from './paced-pcm.ts';

export const DEFAULT_LEAD_SEC = 1;
/** Frames (20 ms each) queued before the player starts; the demuxer holds at most 16. */
const START_BUFFER_FRAMES = 12;
const START_TIMEOUT_MS = 5000;

export interface SetBroadcastOptions {
  /** How far production may run ahead of playback (default 1 s). */
  leadSec?: number;
  bitrateKbps?: number;
  startBufferFrames?: number;
}

/**
 * One guild's audio: the set engine's PCM, paced to playback, through one libopus encoder into one long-lived audio
 * resource on one player. The player never gives up on an underrun (`maxMissedFrames: Infinity`: it sends silence and
 * carries on) and pauses while no connection can hear it.
 */
export class SetBroadcast {
  readonly player: AudioPlayer;
  readonly resource: AudioResource;
  /** Resolves once the player has started (with its first frames buffered). */
  readonly started: Promise<void>;
  /** Resolves when the set has been played out (the player went idle). */
  readonly finished: Promise<void>;
  private readonly ogg: OggOpusStream;
  private readonly engine: SetEngine;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(engine: SetEngine, opts: SetBroadcastOptions = {}) {
    this.engine = engine;
    this.player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Pause, maxMissedFrames: Infinity } });
    this.ogg = oggOpusFromPcm(pacePcm(engine.stream(), () => this.playedSec, opts.leadSec ?? DEFAULT_LEAD_SEC, this.abort.signal), opts.bitrateKbps);
    this.ogg.fed.catch(() => undefined);
    this.resource = createAudioResource(this.ogg.stream, { inputType: StreamType.OggOpus });
    // An error ends the resource (the player goes idle); without a listener it would crash the process.
    this.player.on('error', () => undefined);
    this.started = this.playWhenBuffered(opts.startBufferFrames ?? START_BUFFER_FRAMES);
    this.finished = this.started.then(() => once(this.player, AudioPlayerStatus.Idle)).then(() => undefined);
  }

  /**
   * Starts the player once a few frames are queued, so a busy machine cannot make the very first frames late (the
   * player would otherwise start on the first Ogg page). Polls the real clock: a test that fakes the player's timer
   * still starts.
   */
  private async playWhenBuffered(frames: number): Promise<void> {
    const stream = this.resource.playStream;
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (stream.readableLength < frames && !stream.readableEnded && !this.closed && performance.now() < deadline) await realSleep(10);
    if (!this.closed) this.player.play(this.resource);
  }

  /** Resolves once the player has handed audio to a connection that can send it; rejects after `timeoutMs`. */
  async audible(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.resource.playbackDuration <= 0) {
      if (this.closed) throw new Error('the broadcast was closed before any audio was sent');
      if (performance.now() > deadline) throw new Error(`no audio was sent within ${Math.round(timeoutMs / 1000)} s`);
      await realSleep(20);
    }
  }

  /** Set time (s) handed to the player so far. */
  get playedSec(): number {
    return this.resource.playbackDuration / 1000;
  }

  /** Why the encoder stopped being fed, if it failed. */
  get fed(): Promise<void> {
    return this.ogg.fed;
  }

  /** Stops at once: the player, the pacing, the engine's decoders and the encoder. */
  close(): void {
    this.closed = true;
    this.abort.abort();
    this.engine.stop();
    this.ogg.stop();
    this.player.stop(true);
  }
}
