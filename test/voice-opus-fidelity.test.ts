import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeckFrames } from '../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../src/audio/io/mix-format.ts';
import { codecFidelity } from '../src/eval/codec-fidelity.ts';
import type { CodecFidelity } from '../src/eval/codec-fidelity.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { DEFAULT_COMPLEXITY, OpusEncoderPool } from '../src/voice/opus-encoder.ts';

interface WasmDecoder {
  decode(packet: Uint8Array): Uint8Array;
}
const require = createRequire(import.meta.url);
const { Decoder } = require('@evan/opus/wasm/index.js') as {
  Decoder: new (o: { channels: 2; sample_rate: 48000 }) => WasmDecoder;
};

/** libopus's encoder delay at 48 kHz in the 'audio' application (OPUS_GET_LOOKAHEAD). */
const LOOKAHEAD = 312;
const REAL = path.join(PROJECT_ROOT, '..', 'shared', 'real-music');
// A synth-and-drums track and one with bright hats and a vocal-like lead: 15 s of each from their busiest part.
const CLIPS = [
  { file: 'Lava.ogg', fromSec: 40 },
  { file: 'SkyVibe-HighFrequency.ogg', fromSec: 60 },
];
const SEC = 15;

const pool = new OpusEncoderPool(1);
afterAll(() => pool.close());

async function roundTrip(pcm: Float32Array, kbps: number, complexity?: number): Promise<Float32Array> {
  const encoder = pool.open(kbps, complexity);
  const packets = [...(await encoder.encode(pcm.slice())), ...(await encoder.flush())];
  encoder.close();
  const decoder = new Decoder({ channels: 2, sample_rate: 48000 });
  const out = new Float32Array(pcm.length + LOOKAHEAD * 2 + 960 * 2);
  let at = 0;
  for (const p of packets) {
    const bytes = decoder.decode(p);
    const s16 = new Int16Array(bytes.slice().buffer);
    for (let i = 0; i < s16.length && at < out.length; i++) out[at++] = s16[i]! / 32768;
  }
  return out.subarray(LOOKAHEAD * 2, LOOKAHEAD * 2 + pcm.length);
}

describe.skipIf(!existsSync(REAL))('the live Opus encoder on released music', () => {
  const figures: Record<string, CodecFidelity[]> = { default: [], c10: [], kbps96: [] };
  beforeAll(async () => {
    for (const clip of CLIPS) {
      const pcm = await readDeckFrames({ file: path.join(REAL, clip.file), fromSec: clip.fromSec }, SEC * MIX_RATE);
      figures.default!.push(codecFidelity(pcm, await roundTrip(pcm, 128), 2, MIX_RATE));
      figures.c10!.push(codecFidelity(pcm, await roundTrip(pcm, 128, 10), 2, MIX_RATE));
      figures.kbps96!.push(codecFidelity(pcm, await roundTrip(pcm, 96, 10), 2, MIX_RATE));
    }
  }, 120_000);

  it('keeps the spectral envelope: under 1 dB critical-band error, and the encoder delay is what it reports', () => {
    for (const f of figures.default!) {
      expect(f.frames).toBeGreaterThan(1000);
      expect(f.bandErrorDb).toBeLessThan(1);
    }
  });

  it(`loses no more at complexity ${DEFAULT_COMPLEXITY} than libopus's highest does, and far less than a lower bitrate`, () => {
    for (let i = 0; i < CLIPS.length; i++) {
      const [mine, best, lower] = [figures.default![i]!, figures.c10![i]!, figures.kbps96![i]!];
      expect(mine.bandErrorDb - best.bandErrorDb).toBeLessThan(0.05);
      expect(mine.highBandErrorDb - best.highBandErrorDb).toBeLessThan(0.05);
      // What 128 -> 96 kb/s costs; the complexity may cost at most a quarter of that.
      expect(mine.bandErrorDb - best.bandErrorDb).toBeLessThan((lower.bandErrorDb - best.bandErrorDb) / 4);
    }
  });
});
