import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeckReader } from '../../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../../src/audio/io/mix-format.ts';
import { ffmpegPath } from '../../src/audio/io/ffmpeg-path.ts';
import { toMono } from '../../src/audio/io/pcm.ts';
import { PROJECT_ROOT } from '../../src/eval/shared-truth.ts';
import { writeSynthTrack } from '../../src/synth/synth-cli.ts';

vi.setConfig({ testTimeout: 120_000 });

/** A deck opened mid-track must start where a decode from the top has that track time: beat grids are in that time. */
const FARM = path.join(PROJECT_ROOT, '..', 'shared', 'real-music', 'farm.ogg');
let dir: string;
let source: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'deck-start-'));
  source = path.join(dir, 'track.wav');
  await writeSynthTrack(source, {
    bpm: 124,
    key: 'A',
    scale: 'minor',
    seed: 5,
    sections: [{ label: 'drop', bars: 12 }],
  });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readMono(file: string, fromSec: number, sec: number): Promise<Float32Array> {
  const deck = new DeckReader({ file, fromSec });
  try {
    return toMono(await deck.read(Math.round(sec * MIX_RATE)), 2);
  } finally {
    deck.close();
  }
}

/** How much later (ms) than the whole decode a deck opened at `fromSec` plays, to the waveform (±25 ms searched). */
async function startErrorMs(file: string, whole: Float32Array, fromSec: number): Promise<number> {
  const part = await readMono(file, fromSec, 1);
  const at = Math.round(fromSec * MIX_RATE);
  let best = -Infinity;
  let bestLag = 0;
  for (let lag = -1200; lag <= 1200; lag++) {
    let dot = 0;
    let energy = 0;
    for (let i = 2400; i < 9600; i++) {
      const y = whole[at + lag + i] ?? 0;
      dot += part[i]! * y;
      energy += y * y;
    }
    const score = energy > 0 ? dot / Math.sqrt(energy) : 0;
    if (score > best) [best, bestLag] = [score, lag];
  }
  return (bestLag * 1000) / MIX_RATE;
}

describe('a deck opened mid-track starts on the exact sample', () => {
  // Matroska (WebM) Opus: ffmpeg's input seek put every start 7.5 ms early. MP3 (VBR) is seeked: it must stay exact.
  for (const [kind, args] of [
    ['webm', ['-c:a', 'libopus', '-b:a', '128k']],
    ['mp3', ['-c:a', 'libmp3lame', '-q:a', '2']],
  ] as const) {
    it(`${kind}: within a sample of the decode from the top at 4 positions`, async () => {
      const file = path.join(dir, `track.${kind}`);
      execFileSync(ffmpegPath(), ['-v', 'error', '-y', '-i', source, ...args, file]);
      const whole = await readMono(file, 0, 24);
      const errors = [];
      for (const fromSec of [1.66, 2.5, 7.77, 20.001]) errors.push(await startErrorMs(file, whole, fromSec));
      expect(Math.max(...errors.map(Math.abs))).toBeLessThanOrEqual(0.05);
    });
  }

  // Ogg Vorbis: a lapped block (23.2 ms at 44.1 kHz) at some positions, e.g. 1.66 s into farm.ogg.
  it.skipIf(!existsSync(FARM))(
    'ogg vorbis (farm.ogg): within a sample of the decode from the top at 4 positions',
    async () => {
      const whole = await readMono(FARM, 0, 36);
      const errors = [];
      for (const fromSec of [1.66, 3.3, 14.2, 33.3]) errors.push(await startErrorMs(FARM, whole, fromSec));
      expect(Math.max(...errors.map(Math.abs))).toBeLessThanOrEqual(0.05);
    },
  );
});
