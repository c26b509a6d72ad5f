import { LowpassCascade } from '../dsp/lowpass-cascade.ts';
import { riseEnvelope } from '../dsp/onset-envelope.ts';

/** Samples per envelope value: 1.45 ms at 44.1 kHz, fine enough to place an attack to a millisecond. */
const ATTACK_BLOCK = 64;
const LOW_CUTOFF_HZ = 150;
/**
 * Each envelope value compares the energy of the window starting at its block with that of the window before it:
 * a difference over a few ms rather than from one block to the next, which on dense mixes is mostly noise. The low
 * band's window is longer because a kick's 50–60 Hz fundamental, squared, ripples at ~100 Hz.
 */
const BROAD_WINDOW_BLOCKS = 4;
const LOW_WINDOW_BLOCKS = 8;

export interface AttackEnvelopes {
  /** Seconds per value; value i is timed at the start of its block, i · block samples. */
  step: number;
  /** Broadband energy rise (any attack: kick, snare, hat, strum). */
  broad: Float32Array;
  /** Rise of the energy below 150 Hz (kick and bass attacks: what two decks flam on). */
  low: Float32Array;
}

/**
 * Half-wave-rectified rise of log energy from the `w` blocks before each block to the `w` blocks from it on (a window
 * reaching before the signal holds what of it is there).
 */
function rise(blockEnergy: Float64Array, w: number, block: number): Float32Array {
  const n = blockEnergy.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + blockEnergy[i]!;
  return riseEnvelope(
    n,
    (from) => {
      const a = Math.max(0, Math.min(n, from));
      const b = Math.max(0, Math.min(n, from + w));
      return Math.log1p((1000 * (prefix[b]! - prefix[a]!)) / (w * block));
    },
    w,
  );
}

/** Fine attack envelopes of a mono signal, broadband and in the low band. */
export function attackEnvelopes(mono: Float32Array, sampleRate: number, block = ATTACK_BLOCK): AttackEnvelopes {
  const count = Math.floor(mono.length / block);
  const broad = new Float64Array(count);
  const low = new Float64Array(count);
  const lowpass = new LowpassCascade(LOW_CUTOFF_HZ, sampleRate);
  const lowBlock = new Float64Array(block);
  for (let b = 0; b < count; b++) {
    let e = 0;
    let el = 0;
    lowpass.run(mono, b * block, (b + 1) * block, lowBlock);
    for (let j = 0; j < block; j++) {
      const x = mono[b * block + j]!;
      e += x * x;
      el += lowBlock[j]! * lowBlock[j]!;
    }
    broad[b] = e;
    low[b] = el;
  }
  return {
    step: block / sampleRate,
    broad: rise(broad, BROAD_WINDOW_BLOCKS, block),
    low: rise(low, LOW_WINDOW_BLOCKS, block),
  };
}
