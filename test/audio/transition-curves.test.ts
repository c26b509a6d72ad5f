import { describe, expect, it } from 'vitest';
import {
  filterFadeBassInSec,
  filterFadeCutoffHz,
  transitionGains,
} from '../../src/audio/transition/transition-curves.ts';
import type { TransitionPlan, TransitionStyle } from '../../src/audio/transition/transition-plan.ts';

const BEAT = 0.5;
const BAR = 4 * BEAT;

function plan(style: TransitionStyle, overlapBars = 16, bassSwapBar = 8): TransitionPlan {
  return {
    style,
    exitSec: 100,
    exitBar: 50,
    entrySec: 8,
    entryBar: 4,
    overlapBars,
    overlapSec: overlapBars * BAR,
    tempo: 1,
    stretchPct: 0,
    octave: false,
    rampBars: 0,
    schedule: [],
    relation: 'same',
    bassSwapBar,
    explanation: '',
  };
}

/** Gains every 1 ms over [from, to). */
const sweep = (p: TransitionPlan, from: number, to: number) =>
  Array.from({ length: Math.round((to - from) * 1000) }, (_, i) => ({
    t: from + i / 1000,
    ...transitionGains(p, from + i / 1000, BEAT),
  }));

describe('transition curves', () => {
  it("blend: B's highs and mids in over the first half, the basslines swapped over the beat before the swap bar, A's mids then highs out over the second half", () => {
    const p = plan('blend');
    const start = transitionGains(p, 0, BEAT);
    expect(start.a).toEqual({ low: 1, mid: 1, high: 1 });
    expect(start.b).toEqual({ low: 0, mid: 0, high: 0 });
    const half = transitionGains(p, p.overlapSec / 2, BEAT);
    expect(half.b.mid).toBeCloseTo(1, 9);
    expect(half.b.high).toBeCloseTo(1, 9);
    expect(half.a.mid).toBeCloseTo(1, 9);
    // The swap: A's bass full until the beat before bar 8, B's full on bar 8's downbeat, and equal power midway.
    const swapAt = p.bassSwapBar * BAR;
    expect(transitionGains(p, swapAt - BEAT, BEAT).a.low).toBeCloseTo(1, 9);
    expect(transitionGains(p, swapAt - BEAT, BEAT).b.low).toBeCloseTo(0, 9);
    const mid = transitionGains(p, swapAt - BEAT / 2, BEAT);
    expect(mid.a.low ** 2 + mid.b.low ** 2).toBeCloseTo(1, 9);
    expect(transitionGains(p, swapAt, BEAT).b.low).toBeCloseTo(1, 9);
    expect(transitionGains(p, swapAt, BEAT).a.low).toBeCloseTo(0, 9);
    // Never two basslines at full level: above half level together for under half a beat.
    const both = sweep(p, 0, p.overlapSec).filter((g) => g.a.low > 0.5 && g.b.low > 0.5).length / 1000;
    expect(both).toBeLessThan(BEAT / 2);
    // A's highs leave last, from three quarters of the way.
    expect(transitionGains(p, 0.75 * p.overlapSec, BEAT).a.high).toBeCloseTo(1, 9);
    expect(transitionGains(p, 0.75 * p.overlapSec, BEAT).a.mid).toBeLessThan(0.75);
    const end = transitionGains(p, p.overlapSec, BEAT);
    expect(end).toEqual({ a: { low: 0, mid: 0, high: 0 }, b: { low: 1, mid: 1, high: 1 } });
  });

  it('every gain stays in [0, 1] and moves without jumps (at most 2 % a millisecond) through every style', () => {
    for (const style of ['blend', 'filter-fade'] as const) {
      const g = sweep(plan(style, 8, 4), 0, 8 * BAR + 0.1);
      for (const deck of ['a', 'b'] as const) {
        for (const band of ['low', 'mid', 'high'] as const) {
          const v = g.map((x) => x[deck][band]);
          expect(Math.min(...v), `${style} ${deck} ${band}`).toBeGreaterThanOrEqual(0);
          expect(Math.max(...v), `${style} ${deck} ${band}`).toBeLessThanOrEqual(1);
          const jump = Math.max(...v.slice(1).map((x, i) => Math.abs(x - v[i]!)));
          expect(jump, `${style} ${deck} ${band}`).toBeLessThan(0.02);
        }
      }
    }
  });

  it("filter fade: A's high-pass sweeps 20 Hz → 6 kHz by 85 % of the overlap, brought in from dry over the first beat", () => {
    const p = plan('filter-fade', 8, 4);
    const at = (x: number) => transitionGains(p, x * p.overlapSec, BEAT);
    expect(at(0).a.highPassHz).toBeCloseTo(20, 6);
    expect(at(0).a.highPassWet).toBe(0);
    expect(transitionGains(p, BEAT, BEAT).a.highPassWet).toBe(1);
    expect(at(0.85).a.highPassHz).toBeCloseTo(6000, 3);
    expect(at(0.95).a.highPassHz).toBeCloseTo(6000, 3);
    // Exponential: the geometric middle (346 Hz) half-way through the sweep.
    expect(at(0.425).a.highPassHz).toBeCloseTo(Math.sqrt(20 * 6000), 3);
    // B: highs from half-way, mids from 75 % (its bass: see the next test).
    expect(at(0.5).b.high).toBeCloseTo(0, 9);
    expect(at(0.74).b.mid).toBeCloseTo(0, 9);
    expect(at(0.7).a.mid).toBeCloseTo(1, 9);
  });

  it("filter fade: B's bass comes in over one beat on the first downbeat after A's high-pass has taken A's bass and low mids away", () => {
    for (const [bars, bar] of [
      [4, 3],
      [8, 5],
    ] as const) {
      const fade = plan('filter-fade', bars, bars);
      const at = filterFadeBassInSec(fade, BEAT);
      expect(at).toBeCloseTo(bar * 4 * BEAT, 6);
      // A's cutoff there is well above its low band (200 Hz) and its low mids.
      expect(filterFadeCutoffHz(at / fade.overlapSec)).toBeGreaterThan(1000);
      expect(transitionGains(fade, at - 0.01, BEAT).b.low).toBe(0);
      expect(transitionGains(fade, at + BEAT / 2, BEAT).b.low).toBeGreaterThan(0.2);
      expect(transitionGains(fade, at + BEAT + 0.01, BEAT).b.low).toBe(1);
      // B's mids still wait for A's high-pass to clear them (the harmonies stay apart): after the bass in 8 bars.
      if (bars === 8) expect(transitionGains(fade, at + BEAT + 0.01, BEAT).b.mid).toBe(0);
    }
  });

  it('cut and echo-out: A gone and B full within 5 ms of the downbeat', () => {
    for (const style of ['cut', 'echo-out'] as const) {
      const p = plan(style, 0);
      expect(transitionGains(p, 0, BEAT).a.low).toBe(1);
      expect(transitionGains(p, 0.0025, BEAT).b.mid).toBeCloseTo(0.5, 9);
      expect(transitionGains(p, 0.005, BEAT)).toEqual({
        a: { low: 0, mid: 0, high: 0 },
        b: { low: 1, mid: 1, high: 1 },
      });
    }
  });
});
