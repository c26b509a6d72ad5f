import { describe, expect, it } from 'vitest';
import { inputAfter, isUnity, outputDuration, tempoRamp } from '../../src/audio/transition/tempo-schedule.ts';

describe('tempo schedule', () => {
  it('maps input time to output time piece by piece: tempo 1 before the first step, each step until the next', () => {
    const schedule = [
      { atSec: 10, tempo: 2 },
      { atSec: 20, tempo: 0.5 },
    ];
    expect(outputDuration(schedule, 0, 10)).toBeCloseTo(10, 12);
    expect(outputDuration(schedule, 10, 20)).toBeCloseTo(5, 12);
    expect(outputDuration(schedule, 20, 22)).toBeCloseTo(4, 12);
    expect(outputDuration(schedule, 5, 25)).toBeCloseTo(5 + 5 + 10, 12);
    expect(outputDuration([], 3, 7)).toBe(4);
  });

  it('inverts outputDuration: inputAfter(from, outputDuration(from, to)) is to', () => {
    const schedule = tempoRamp(4, 0.5, 16, 1.04, 1);
    for (const [from, to] of [
      [0, 3],
      [2, 9.3],
      [4.1, 4.2],
      [6, 30],
    ] as const) {
      expect(inputAfter(schedule, from, outputDuration(schedule, from, to))).toBeCloseTo(to, 9);
    }
    expect(inputAfter([], 12, 3)).toBe(15);
  });

  it('ramps beat by beat from one tempo to another, reaching the last on the final beat and keeping it', () => {
    const ramp = tempoRamp(100, 0.5, 4, 1.04, 1);
    expect(ramp.map((s) => s.atSec)).toEqual([100, 100.5, 101, 101.5, 102]);
    expect(ramp.map((s) => Number(s.tempo.toFixed(4)))).toEqual([1.03, 1.02, 1.01, 1, 1]);
    // Four beats of input then play in the sum of their own durations.
    expect(outputDuration(ramp, 100, 102)).toBeCloseTo(0.5 / 1.03 + 0.5 / 1.02 + 0.5 / 1.01 + 0.5, 12);
  });

  it('knows a schedule that changes nothing', () => {
    expect(isUnity([])).toBe(true);
    expect(
      isUnity([
        { atSec: 0, tempo: 1 },
        { atSec: 4, tempo: 1 + 1e-8 },
      ]),
    ).toBe(true);
    expect(isUnity([{ atSec: 0, tempo: 1.001 }])).toBe(false);
  });
});
