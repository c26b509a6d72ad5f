import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alignmentEnvelope } from '../src/audio/analysis/fine-onsets.ts';
import { DeckReader } from '../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../src/audio/io/mix-format.ts';
import { toMono } from '../src/audio/io/pcm.ts';
import { alignBeat, squaredSums } from '../src/eval/beat-alignment.ts';
import { sharedAudioDir } from '../src/eval/shared-truth.ts';

const COUNTRY = path.join(sharedAudioDir(), 'mirdata/gtzan_genre/gtzan_genre/genres/country/country.00000.wav');

/** The source played unchanged `offsetFrames` into a set (silence before it). */
function setOf(source: Float32Array, offsetFrames: number): Float32Array {
  const set = new Float32Array(offsetFrames + source.length);
  set.set(source, offsetFrames);
  return set;
}

/** Where each of the times lands, read as bench:mix reads tempo continuity, with the set's timeline `mapErrorSec` off. */
function placements(source: Float32Array, offsetFrames: number, times: number[], mapErrorSec: number) {
  const setEnv = alignmentEnvelope(setOf(source, offsetFrames), MIX_RATE, 32);
  const sums = squaredSums(source);
  const offsetSec = offsetFrames / MIX_RATE;
  return times.map((t) => {
    const placed = alignBeat(setEnv, sums, t, t + offsetSec + mapErrorSec);
    return { errorMs: (placed.setSec - (t + offsetSec)) * 1000, correlation: placed.correlation };
  });
}

describe('beat alignment (bench:mix tempo continuity)', () => {
  it('places every beat of a tone-heavy track played unchanged where it is, whatever its sample offset', () => {
    // An 83 Hz bass tone under clicks: its ripple in the 10 ms energy made block-grid envelopes disagree by tens of ms.
    const source = new Float32Array(MIX_RATE * 8);
    for (let i = 0; i < source.length; i++) {
      const t = i / MIX_RATE;
      const sinceClick = t % 0.5;
      source[i] =
        0.4 * Math.sin(2 * Math.PI * 83 * t) +
        (sinceClick < 0.02 ? 0.5 * Math.exp(-sinceClick * 200) * Math.sin(2 * Math.PI * 2000 * t) : 0);
    }
    const times = Array.from({ length: 12 }, (_, k) => 1 + 0.5 * k);
    for (const offsetFrames of [48_000 * 3 + 11, 48_000 * 3 + 16, 48_000 * 3 + 245]) {
      const placed = placements(source, offsetFrames, times, -0.0051);
      expect(Math.max(...placed.map((p) => Math.abs(p.errorMs)))).toBeLessThan(0.2);
    }
  });

  it.skipIf(!existsSync(COUNTRY))(
    'places a real recording played unchanged to within 0.2 ms (country.00000, 22 kHz)',
    async () => {
      const deck = new DeckReader({ file: COUNTRY, fromSec: 0 });
      const source = toMono(await deck.read(MIX_RATE * 12), 2);
      deck.close();
      // The offset the real-clip set had: 59.5309 s, 11 samples past a block; its timeline read it 5.1 ms early.
      const placed = placements(
        source,
        2_857_483,
        Array.from({ length: 14 }, (_, k) => 1.2 + 0.71 * k),
        -0.0051,
      );
      const readable = placed.filter((p) => p.correlation >= 0.3);
      expect(readable.length).toBeGreaterThanOrEqual(10);
      expect(Math.max(...readable.map((p) => Math.abs(p.errorMs)))).toBeLessThan(0.2);
    },
  );
});
