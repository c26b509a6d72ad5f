import path from 'node:path';
import type { Readable } from 'node:stream';
import { createAudioResource, StreamType } from '@discordjs/voice';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyzerPool } from '../src/audio/analyzer-pool.ts';
import { SetEngine } from '../src/audio/set-engine.ts';
import type { PlannedTrack } from '../src/audio/transition-plan.ts';
import { TransitionRenderer } from '../src/audio/transition-renderer.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { oggOpusFromPcm } from '../src/voice/ogg-opus-stream.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);

/** Frame duration in ms from an Opus packet's TOC byte (RFC 6716 §3.1). */
function frameMs(packet: Buffer): number {
  const config = packet[0]! >> 3;
  if (config < 12) return [10, 20, 40, 60][config % 4]!;
  if (config < 16) return [10, 20][config % 2]!;
  return [2.5, 5, 10, 20][config % 4]!;
}

let tmp: ReturnType<typeof makeTempDir>;
const tracks: PlannedTrack[] = [];
beforeAll(async () => {
  tmp = makeTempDir();
  const pool = new AnalyzerPool({ size: 2 });
  const sections = [
    { label: 'intro' as const, bars: 16 }, { label: 'build' as const, bars: 8 }, { label: 'drop' as const, bars: 16 },
    { label: 'breakdown' as const, bars: 8 }, { label: 'outro' as const, bars: 16 },
  ];
  const recipes = [
    { bpm: 124, key: 'A', scale: 'minor' as const, seed: 31 },
    { bpm: 125, key: 'E', scale: 'minor' as const, seed: 32 },
    { bpm: 126, key: 'B', scale: 'minor' as const, seed: 33 },
  ];
  await Promise.all(recipes.map(async (r, i) => {
    const file = path.join(tmp.dir, `v${i}.wav`);
    await writeSynthTrack(file, { ...r, sections });
    tracks[i] = { id: `v${i}`, file, title: `v${i}`, analysis: await pool.analyze(file) };
  }));
  await pool.close();
}, 180_000);
afterAll(() => tmp.cleanup());

describe('voice pipeline', () => {
  it('turns a set into an unbroken run of 20 ms Opus frames, with no silence frames at the track boundaries', async () => {
    const renderer = new TransitionRenderer();
    const engine = new SetEngine(tracks, { renderer });
    const ogg = oggOpusFromPcm(engine.stream());
    const resource = createAudioResource(ogg.stream, { inputType: StreamType.OggOpus });
    const packets: Buffer[] = [];
    // Read as fast as the pipeline produces: the same packets the audio player would send, faster than real time.
    for await (const packet of resource.playStream as Readable) packets.push(packet as Buffer);
    await ogg.fed;
    await renderer.close();
    const seconds = engine.positionSec;
    expect(seconds).toBeGreaterThan(180);
    expect(engine.report).toHaveLength(2);
    expect(packets.every((p) => p.length > 0 && frameMs(p) === 20)).toBe(true);
    // Every 20 ms of the set is a packet: nothing dropped, nothing stalled (the encoder pads only the last frame).
    expect(Math.abs(packets.length - seconds * 50)).toBeLessThanOrEqual(2);
    // No silence frame anywhere before the set's final fade, in particular around each transition.
    const fadeStart = packets.length - 2 * 50;
    const silent = packets.map((p, i) => (p.equals(OPUS_SILENCE) && i < fadeStart ? i : -1)).filter((i) => i >= 0);
    expect(silent).toEqual([]);
    for (const t of engine.report) {
      const at = Math.round(t.startSec * 50);
      const around = packets.slice(at - 50, at + 50);
      expect(around.length).toBe(100);
      expect(around.every((p) => p.length > 20)).toBe(true);
    }
  });
});
