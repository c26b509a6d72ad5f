import { once } from 'node:events';
import { setTimeout as realSleep } from 'node:timers/promises';
import { AudioPlayerStatus, AudioResource, createAudioPlayer, NoSubscriberBehavior } from '@discordjs/voice';
import type { AudioPlayer } from '@discordjs/voice';
import type { SetEngine } from '../audio/set/set-engine.ts';
import { opusPacketsFromPcm } from './opus-encoder.ts';
import type { OpusEncoderPool, OpusPacketStream } from './opus-encoder.ts';
import { pacePcm } from './paced-pcm.ts';

export const DEFAULT_LEAD_SEC = 1;
/** Frames (20 ms each) queued before the player starts. */
const START_BUFFER_FRAMES = 12;
const START_TIMEOUT_MS = 5000;

export interface SetBroadcastOptions {
  /** How far production may run ahead of playback (default 1 s). */
  leadSec?: number;
  bitrateKbps?: number;
  startBufferFrames?: number;
  /** Where the Opus encoding runs (default: the process's shared pool of encoder threads). */
  opusPool?: OpusEncoderPool;
  /** The player's errors (each ends the resource: the player goes idle and the set ends), for the log and metrics. */
  onError?: (error: Error) => void;
}

/**
 * One guild's audio: the set engine's PCM, paced to playback, through one in-process libopus encoder (opus-encoder.ts)
 * into one long-lived audio resource of Opus packets on one player. The player never gives up on an underrun (`maxMissedFrames: Infinity`: it sends silence and
 * carries on) and pauses while no connection can hear it.
 */
export class SetBroadcast {
  readonly player: AudioPlayer;
  readonly resource: AudioResource<null>;
  /** Resolves once the player has started (with its first frames buffered). */
  readonly started: Promise<void>;
  /** Resolves when the set has been played out (the player went idle). */
  readonly finished: Promise<void>;
  private readonly opus: OpusPacketStream;
  private readonly engine: SetEngine;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(engine: SetEngine, opts: SetBroadcastOptions = {}) {
    this.engine = engine;
    this.player = createAudioPlayer({
      behaviors: { noSubscriber: NoSubscriberBehavior.Pause, maxMissedFrames: Infinity },
    });
    const pcm = pacePcm(engine.stream(), () => this.playedSec, opts.leadSec ?? DEFAULT_LEAD_SEC, this.abort.signal);
    this.opus = opusPacketsFromPcm(pcm, { bitrateKbps: opts.bitrateKbps, pool: opts.opusPool });
    // Observed through `fed` (the live set reports it): this only keeps it from being an unhandled rejection.
    this.opus.fed.catch(() => undefined);
    // Opus packets as they are: no transform to find (createAudioResource would also probe ffmpeg once, synchronously).
    this.resource = new AudioResource([], [this.opus.stream], null, 5);
    // An error ends the resource (the player goes idle); without a listener it would crash the process.
    this.player.on('error', (error) => opts.onError?.(error));
    this.started = this.playWhenBuffered(opts.startBufferFrames ?? START_BUFFER_FRAMES);
    this.finished = this.started.then(() => once(this.player, AudioPlayerStatus.Idle)).then(() => undefined);
  }

  /**
   * Starts the player once a few frames are queued, so a busy machine cannot make the very first frames late (the
   * player would otherwise start on the first packet). Polls the real clock: a test that fakes the player's timer
   * still starts.
   */
  private async playWhenBuffered(frames: number): Promise<void> {
    const stream = this.resource.playStream;
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (stream.readableLength < frames && !stream.readableEnded && !this.closed && performance.now() < deadline)
      await realSleep(10);
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
    return this.opus.fed;
  }

  /** Stops at once: the player, the pacing, the engine's decoders and the encoder (once; later calls do nothing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.engine.stop();
    this.opus.stop();
    this.player.stop(true);
  }
}
