/** Places the drum kit's one-shots on the beat grid, bar by bar, following the arrangement. */
import type { BarPlan } from './arrangement.ts';
import { BEATS_PER_BAR, beatSample, type BeatGrid } from './beat-grid.ts';
import type { DrumKit } from './drum-kit.ts';
import { addOneShot, type MixBus, type Placement } from './mix-bus.ts';
import type { Rng } from '../util/prng.ts';
import type { TrackStyle } from './track-style.ts';

const KICK: Placement = { gainLeft: 0.8, gainRight: 0.8, send: 0 };
const CLAP: Placement = { gainLeft: 0.4, gainRight: 0.4, send: 0.3 };
const CRASH: Placement = { gainLeft: 0.22, gainRight: 0.22, send: 0.2 };

function place(gainLeft: number, gainRight: number, send: number): Placement {
  return { gainLeft, gainRight, send };
}

/** Sample positions of every kick, in order: the kick is the sidechain source for bass and chords. */
export function kickSamples(plans: readonly BarPlan[], grid: BeatGrid): number[] {
  const kicks: number[] = [];
  for (const p of plans) {
    if (!p.kick) continue;
    for (let beat = 0; beat < BEATS_PER_BAR; beat++) kicks.push(beatSample(grid, p.bar * BEATS_PER_BAR + beat));
  }
  return kicks;
}

export function renderDrums(
  bus: MixBus,
  plans: readonly BarPlan[],
  grid: BeatGrid,
  kit: DrumKit,
  style: TrackStyle,
  rng: Rng,
): void {
  const openHatChoke = Math.round(grid.beatSec * 0.45 * grid.sampleRate);
  for (const p of plans) {
    const firstBeat = p.bar * BEATS_PER_BAR;
    if (p.crash) addOneShot(bus, kit.crash, beatSample(grid, firstBeat), CRASH);
    for (let beat = 0; beat < BEATS_PER_BAR; beat++) {
      const b = firstBeat + beat;
      if (p.kick) addOneShot(bus, kit.kick, beatSample(grid, b), KICK);
      if (p.clap && beat % 2 === 1) addOneShot(bus, kit.clap, beatSample(grid, b), CLAP);

      const offbeat = beatSample(grid, b + 0.5);
      if (p.dropHats && style.hatStyle === 'open-offbeat') {
        const v = 0.16 * rng.range(0.9, 1.05);
        addOneShot(bus, kit.openHat, offbeat, place(v, v * 0.85, 0.05), openHatChoke);
      } else if (p.closedHats) {
        const v = 0.2 * rng.range(0.85, 1.05);
        addOneShot(bus, kit.closedHat, offbeat, place(v * 0.8, v, 0.03));
      }
      if (p.dropHats) {
        for (const sixteenth of [1, 3]) {
          const v = 0.075 * rng.range(0.7, 1.1);
          addOneShot(bus, kit.closedHat, beatSample(grid, b + sixteenth / 4), place(v, v * 0.8, 0));
        }
        // A classic open hat on the last off-beat of every other bar.
        if (style.hatStyle === 'closed' && beat === 3 && p.bar % 2 === 1) {
          addOneShot(bus, kit.openHat, offbeat, place(0.15, 0.13, 0.05), openHatChoke);
        }
      }
      if (p.shaker) {
        for (let s = 0; s < 4; s++) {
          const v = 0.07 * style.shakerAccents[s]! * rng.range(0.85, 1.1);
          addOneShot(bus, kit.shaker, beatSample(grid, b + s / 4), place(v, v * 0.7, 0));
        }
      }
      if (p.rollPerBeat > 0) {
        for (let h = 0; h < p.rollPerBeat; h++) {
          const v = 0.42 * p.rollLevel * rng.range(0.85, 1);
          addOneShot(bus, kit.snare, beatSample(grid, b + h / p.rollPerBeat), place(v, v, 0.3));
        }
      }
    }
  }
}
