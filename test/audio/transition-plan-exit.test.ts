import { describe, expect, it } from 'vitest';
import type { Segment, SegmentLabel, TrackAnalysis } from '../../src/audio/analysis/analysis-types.ts';
import { planTransition } from '../../src/audio/transition/transition-plan.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';

/** A machine-timed track's analysis: `bars` bars at `bpm`, phrases of 8 from bar `phraseFrom`, the sections given. */
function track(
  id: string,
  bpm: number,
  bars: number,
  sections: [SegmentLabel, number][],
  cues: { mixInBar: number; mixOutBar: number },
  camelot = '8A',
  phraseFrom = 0,
): PlannedTrack {
  const beatSec = 60 / bpm;
  const beats = Array.from({ length: bars * 4 }, (_, i) => i * beatSec);
  const downbeats = beats.filter((_, i) => i % 4 === 0);
  const segments: Segment[] = [];
  let at = 0;
  for (const [label, n] of sections) {
    segments.push({
      label,
      startBar: at,
      endBar: at + n,
      start: downbeats[at]!,
      end: downbeats[at + n] ?? bars * 4 * beatSec,
    });
    at += n;
  }
  const phrases = downbeats.filter((_, bar) => bar >= phraseFrom && (bar - phraseFrom) % 8 === 0);
  const analysis: TrackAnalysis = {
    analyzerVersion: 'test',
    durationSec: bars * 4 * beatSec,
    bpm,
    bpmConfidence: 1,
    beatJitterMs: 0.5,
    beats,
    beatPositions: beats.map((_, i) => (i % 4) + 1),
    downbeats,
    beatsPerBar: 4,
    key: 'A',
    scale: 'minor',
    camelot,
    keyStrength: 0.8,
    loudnessLufs: -9,
    loudnessRangeLu: 4,
    truePeakDb: -0.5,
    energy: downbeats.map(() => 0.5),
    brightnessHz: 2000,
    timbre: { mfccMean: [], mfccVar: [] },
    danceability: 1.2,
    phraseBars: 8,
    phrases,
    segments,
    cues: { mixIn: downbeats[cues.mixInBar]!, mixOut: downbeats[cues.mixOutBar]! },
  };
  return { id, file: `${id}.ogg`, title: id, analysis };
}

describe('where the planner leaves A', () => {
  // A short released track (44 bars, phrases from bar 1) whose cue at bar 33 leaves 11 bars.
  const short = track(
    'short',
    145,
    44,
    [
      ['drop', 33],
      ['outro', 11],
    ],
    { mixInBar: 1, mixOutBar: 33 },
    '9B',
    1,
  );
  const next = track('next', 145, 80, [['drop', 80]], { mixInBar: 0, mixOutBar: 64 }, '10B');

  it('leaves on the mix-out cue when the set has not played past it', () => {
    const plan = planTransition(short, next, { notBeforeSec: 0 });
    expect(plan.exitBar).toBe(33);
    expect(plan.style).toBe('blend');
    expect(plan.overlapBars).toBe(8);
  });

  it('past the cue (a long ramp into a short track), leaves 8 bars before the end rather than cutting', () => {
    const bar = (4 * 60) / 145;
    const plan = planTransition(short, next, { notBeforeSec: 35 * bar });
    expect(plan.exitBar).toBe(36);
    expect(plan.style).toBe('blend');
    expect(plan.overlapBars).toBe(8);
    expect(plan.explanation).toMatch(/after its mix-out cue/);
    // The next phrase start (bar 41) would have left 3 bars: no room for a blend.
    expect(
      planTransition(
        {
          ...short,
          analysis: { ...short.analysis, cues: { ...short.analysis.cues, mixOut: short.analysis.downbeats[41]! } },
        },
        next,
      ).style,
    ).toBe('cut');
  });

  it("leaves in A's breakdown when B starts on its drop, instead of a cut for a drop over a drop", () => {
    const a = track(
      'a',
      140,
      43,
      [
        ['intro', 16],
        ['breakdown', 8],
        ['drop', 19],
      ],
      { mixInBar: 0, mixOutBar: 24 },
      '12A',
    );
    const b = track(
      'b',
      140,
      120,
      [
        ['drop', 88],
        ['breakdown', 16],
        ['drop', 16],
      ],
      { mixInBar: 0, mixOutBar: 104 },
      '12A',
    );
    // On the cue, a quick 4-bar blend (B's bass held out to the last beat) rather than a cut.
    const onCue = planTransition(a, b);
    expect(onCue.exitBar).toBe(24);
    expect(onCue.style).toBe('blend');
    expect(onCue.overlapBars).toBe(4);
    expect(onCue.bassSwapBar).toBe(4);
    expect(onCue.explanation).toMatch(/quick one/);
    const plan = planTransition(a, b, { notBeforeSec: 0 });
    expect(plan.exitBar).toBe(16);
    expect(plan.style).toBe('blend');
    expect(plan.overlapBars).toBe(8);
    expect(plan.explanation).toMatch(/before its mix-out cue/);
  });

  it('still cuts when no exit at or after the earliest allowed one has room', () => {
    const bar = (4 * 60) / 145;
    const plan = planTransition(short, next, { notBeforeSec: 41 * bar });
    expect(plan.exitBar).toBeGreaterThanOrEqual(41);
    expect(plan.overlapBars).toBeLessThanOrEqual(4);
  });
});
