/** A faint, dull noise floor under the whole file, so the lead-in before the music is room, not digital zero. */
import { OnePole } from './filters.ts';
import type { MixBus } from './mix-bus.ts';
import type { Rng } from '../util/prng.ts';

/** Noise is read from a table this long (a power of two); a loop of ~1.5 s is inaudible at -68 dB. */
const TABLE_SIZE = 1 << 16;

export function addRoomTone(bus: MixBus, sampleRate: number, level: number, rng: Rng): void {
  const table = new Float32Array(TABLE_SIZE);
  for (let i = 0; i < TABLE_SIZE; i++) table[i] = (rng.next() * 2 - 1) * level;
  const lowL = new OnePole(sampleRate, 400);
  const lowR = new OnePole(sampleRate, 400);
  const mask = TABLE_SIZE - 1;
  const offset = TABLE_SIZE >> 1;
  const { left, right } = bus;
  for (let i = 0; i < bus.length; i++) {
    left[i]! += lowL.lowpass(table[i & mask]!);
    right[i]! += lowR.lowpass(table[(i + offset) & mask]!);
  }
}
