import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { MIX_CHANNELS, MIX_RATE } from '../audio/io/deck-reader.ts';
import { pipeInputArgs } from '../audio/io/ffmpeg-input.ts';
import { ffmpegPath } from '../audio/io/ffmpeg-path.ts';

export const OPUS_FRAME_MS = 20;

export interface OggOpusStream {
  /** Ogg Opus pages, for `createAudioResource(stream, { inputType: StreamType.OggOpus })`. */
  stream: Readable;
  /** Resolves when the set has been fed to the encoder (or fails with why). */
  fed: Promise<void>;
  stop(): void;
}

/**
 * One ffmpeg libopus encoder per guild, fed by the set engine's continuous PCM: Discord gets 20 ms Opus frames in an
 * Ogg stream, so @discordjs/voice needs no Opus library of its own. The encoder is paced by backpressure: PCM is only
 * produced as fast as the stream is read.
 */
export function oggOpusFromPcm(pcm: AsyncIterable<Float32Array>, bitrateKbps = 128): OggOpusStream {
  const child = spawn(
    ffmpegPath(),
    [
      '-nostdin', '-hide_banner', '-v', 'error',
      ...pipeInputArgs(['-f', 'f32le', '-ar', String(MIX_RATE), '-ac', String(MIX_CHANNELS)]),
      '-c:a', 'libopus', '-b:a', `${bitrateKbps}k`, '-application', 'audio', '-frame_duration', String(OPUS_FRAME_MS),
      '-page_duration', '20000', '-f', 'ogg', 'pipe:1',
    ],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  // The encoder may be killed (stop, a crash) while we still write: that is handled by 'fed', not a process crash.
  child.stdin.on('error', () => undefined);
  let stopped = false;
  const fed = (async () => {
    try {
      for await (const chunk of pcm) {
        if (stopped) break;
        const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (!child.stdin.write(bytes)) await new Promise<void>((resolve) => child.stdin.once('drain', () => resolve()));
      }
    } finally {
      child.stdin.end();
    }
  })();
  fed.catch(() => child.kill('SIGKILL'));
  return {
    stream: child.stdout,
    fed,
    stop: () => {
      stopped = true;
      child.kill('SIGKILL');
    },
  };
}
