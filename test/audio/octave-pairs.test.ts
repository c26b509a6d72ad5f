import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MixScorer } from '../../src/ai/mix-scorer.ts';
import { orderTracks } from '../../src/ai/order-tracks.ts';
import { decodeWavInterleaved } from '../../src/audio/io/wav.ts';
import { mixSet } from '../../src/audio/set/mix-set.ts';
import { planTransition } from '../../src/audio/transition/transition-plan.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import { measureSet } from '../../src/eval/set-quality.ts';
import { analysedCrate } from '../helpers/analysed-crate.ts';
import { makeTempDir } from '../helpers/ffmpeg-fixtures.ts';
import { EDIT } from '../helpers/hands-crate.ts';

// Each test renders and measures minutes of audio: room for a machine that is busy with other work.
vi.setConfig({ testTimeout: 300_000 });

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir();
});
afterAll(() => tmp.cleanup());

describe('half- and double-time pairs', () => {
  it("mixes 86 BPM into 170 BPM at double time, beat-aligned, B's drop and ramp counted in its own bars (and plans the way back at half time)", async () => {
    const made = await analysedCrate(
      'octave',
      [
        // A without a breakdown, so that its exit has a beat to match: its outro.
        { bpm: 86, key: 'A', scale: 'minor', seed: 31, sections: EDIT.filter((x) => x.label !== 'breakdown') },
        { bpm: 170, key: 'E', scale: 'minor', seed: 32, sections: EDIT },
      ],
      'octave-',
    );
    const [a, b] = made as [PlannedTrack, PlannedTrack];
    expect(a.analysis.bpm).toBeCloseTo(86, 0);
    expect(b.analysis.bpm).toBeCloseTo(170, 0);
    const plan = planTransition(a, b);
    expect(plan.style).toBe('blend');
    expect(plan.octave).toBe(true);
    expect(plan.tempo).toBeCloseTo((2 * a.analysis.bpm) / b.analysis.bpm, 4);
    // B's intro and build (24 of its bars, 12 of A's) are its runway: the overlap ends before B's drop.
    const firstDrop = b.analysis.segments.find((x) => x.label === 'drop')!;
    const overlapEndInB = plan.entrySec + plan.overlapSec * plan.tempo;
    expect(overlapEndInB).toBeLessThanOrEqual(b.analysis.downbeats[firstDrop.startBar]! + 0.05);
    expect(plan.overlapBars).toBe(8);
    expect(plan.explanation).toMatch(/^8-bar EQ blend: 8A→9A \(adjacent\), B stretched \+1\.\d % at double time/);
    // And the other way, 170 into 86 at half time: B's bars are twice A's, so its ramp spans fewer of them.
    const back = planTransition(b, a);
    expect(back.octave).toBe(true);
    expect(back.tempo).toBeCloseTo(b.analysis.bpm / (2 * a.analysis.bpm), 4);
    expect(back.explanation).toMatch(/ at half time; then B ramps back to 86\.0 BPM over 8 bars$/);

    const scorer = await MixScorer.load();
    const result = await mixSet(
      await orderTracks([a, b], scorer, 'queue'),
      path.join(tmp.dir, 'octave-set.wav'),
      'queue',
      -14,
    );
    await scorer.close();
    const q = await measureSet(
      decodeWavInterleaved(readFileSync(path.join(tmp.dir, 'octave-set.wav'))).stereo,
      result.tracks,
      result.transitions,
      -14,
    );
    console.log(
      `double time: ${q.overlaps[0]?.beatsCompared} beats, phase median ${q.phaseMedianMs.toFixed(2)} ms, max ${q.phaseMaxMs.toFixed(2)} ms; IBI ${q.maxIbiJumpPct.toFixed(2)} %; bass both in ${q.bassSwaps[0]?.bothInSec.toFixed(3)} s`,
    );
    expect(q.overlaps[0]!.beatsCompared).toBeGreaterThanOrEqual(16);
    expect(q.phaseMedianMs).toBeLessThanOrEqual(5);
    expect(q.phaseMaxMs).toBeLessThanOrEqual(20);
    expect(q.maxIbiJumpPct).toBeLessThanOrEqual(1.5);
    expect(q.truePeakDb).toBeLessThanOrEqual(-1);
    expect(q.stretchTiming[0]!.overlapMaxMs).toBeLessThan(1);
    expect(q.bassSwaps[0]!.bothInSec).toBeLessThan(0.5 * (60 / a.analysis.bpm));
  });
});
