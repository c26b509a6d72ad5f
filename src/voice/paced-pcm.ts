import { MIX_CHANNELS, MIX_RATE } from '../audio/io/deck-reader.ts';

/**
 * Passes PCM on only while it is at most `leadSec` ahead of what has been played, so the pipeline after it (pipes,
 * encoder, demuxer) holds about that much: skip and stop are heard within it, and latency never grows. Polls the
 * played position on the global timer; paused playback pauses production; `signal` ends it.
 */
// The global timer on purpose: a test that fakes the clock drives the pacing too.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function* pacePcm(source: AsyncIterable<Float32Array>, playedSec: () => number, leadSec: number, signal?: AbortSignal, pollMs = 20): AsyncGenerator<Float32Array> {
  let producedSec = 0;
  // Leaving the loop (abort) returns the source too, so its decoders are closed.
  for await (const chunk of source) {
    while (producedSec - playedSec() > leadSec) {
      if (signal?.aborted) return;
      await sleep(pollMs);
    }
    if (signal?.aborted) return;
    producedSec += chunk.length / MIX_CHANNELS / MIX_RATE;
    yield chunk;
  }
}
