/** The build-up noise riser: band-passed noise whose centre and level climb towards the drop. */
import type { BarPlan } from './arrangement.ts';
import { barSample, type BeatGrid } from './beat-grid.ts';
import { StateVariableFilter } from './filters.ts';
import type { MixBus } from './mix-bus.ts';
import type { Rng } from '../util/prng.ts';

const FROM_HZ = 300;
const TO_HZ = 9000;
const LEVEL = 0.35;
const SEND = 0.3;
const END_FADE_SEC = 0.006;

export function renderRiser(bus: MixBus, plans: readonly BarPlan[], grid: BeatGrid, rng: Rng): void {
  const sr = grid.sampleRate;
  const bandL = new StateVariableFilter(sr);
  const bandR = new StateVariableFilter(sr);
  const endFade = Math.round(END_FADE_SEC * sr);
  const { left, right, send } = bus;
  for (const p of plans) {
    if (p.riserTo <= p.riserFrom) continue;
    if (p.barInSection === 0) {
      bandL.reset();
      bandR.reset();
    }
    const start = barSample(grid, p.bar);
    const length = barSample(grid, p.bar + 1) - start;
    const lastBar = p.riserTo >= 1;
    for (let i = 0; i < length && start + i < bus.length; i++) {
      const progress = p.riserFrom + ((p.riserTo - p.riserFrom) * i) / length;
      if (i % 32 === 0) {
        const cutoff = FROM_HZ * Math.pow(TO_HZ / FROM_HZ, progress);
        bandL.set(cutoff, 1.6);
        bandR.set(cutoff, 1.6);
      }
      bandL.process(rng.next() * 2 - 1);
      bandR.process(rng.next() * 2 - 1);
      let amp = LEVEL * progress * progress;
      if (lastBar && i > length - endFade) amp *= (length - i) / endFade;
      const l = bandL.bp * amp;
      const r = bandR.bp * amp;
      left[start + i]! += l;
      right[start + i]! += r;
      send[start + i]! += (l + r) * 0.5 * SEND;
    }
  }
}
