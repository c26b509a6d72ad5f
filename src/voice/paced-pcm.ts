import { MIX_CHANNELS, MIX_RATE } from '../audio/io/mix-format.ts';

/**
 * Passes PCM on only while it is at most `leadSec` ahead of what has been played, so the pipeline after it (encoder,
 * player queue) holds about that much: skip and stop are heard within it, and latency never grows. Waits on the global
 * timer for as long as playback needs to catch up (at least `pollMs`): one wake-up per chunk, not one per 20 ms;
 * paused playback pauses production; `signal` ends it.
 */
// The global timer on purpose: a test that fakes the clock drives the pacing too.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function* pacePcm(
  source: AsyncIterable<Float32Array>,
  playedSec: () => number,
  leadSec: number,
  signal?: AbortSignal,
  pollMs = 20,
): AsyncGenerator<Float32Array> {
  let producedSec = 0;
  // Leaving the loop (abort) returns the source too, so its decoders are closed.
  for await (const chunk of source) {
    for (let ahead = producedSec - playedSec() - leadSec; ahead > 0; ahead = producedSec - playedSec() - leadSec) {
      if (signal?.aborted) return;
      await sleep(Math.max(pollMs, ahead * 1000));
    }
    if (signal?.aborted) return;
    producedSec += chunk.length / MIX_CHANNELS / MIX_RATE;
    yield chunk;
  }
}
