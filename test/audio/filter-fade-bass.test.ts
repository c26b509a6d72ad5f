import { describe, expect, it } from 'vitest';
import { filterFadeBassInSec, filterFadeCutoffHz, transitionGains } from '../../src/audio/transition/transition-curves.ts';
import type { TransitionPlan } from '../../src/audio/transition/transition-plan.ts';

const beatSec = 60 / 128;
const fade = (bars: number) => ({ style: 'filter-fade', overlapSec: bars * 4 * beatSec, bassSwapBar: bars } as TransitionPlan);

describe("B's bass in a filter fade", () => {
  it('comes in over one beat on the first downbeat after A\'s high-pass has taken A\'s bass and low mids away', () => {
    for (const [bars, bar] of [[4, 3], [8, 5]] as const) {
      const plan = fade(bars);
      const at = filterFadeBassInSec(plan, beatSec);
      expect(at).toBeCloseTo(bar * 4 * beatSec, 6);
      // A's cutoff there is well above its low band (200 Hz) and its low mids.
      expect(filterFadeCutoffHz(at / plan.overlapSec)).toBeGreaterThan(1000);
      expect(transitionGains(plan, at - 0.01, beatSec).b.low).toBe(0);
      expect(transitionGains(plan, at + beatSec / 2, beatSec).b.low).toBeGreaterThan(0.2);
      expect(transitionGains(plan, at + beatSec + 0.01, beatSec).b.low).toBe(1);
      // B's mids still wait for A's high-pass to clear them (the harmonies stay apart): after the bass in 8 bars.
      if (bars === 8) expect(transitionGains(plan, at + beatSec + 0.01, beatSec).b.mid).toBe(0);
    }
  });
});
