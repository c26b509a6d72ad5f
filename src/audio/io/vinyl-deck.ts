import { DeckReader } from './deck-reader.ts';
import { MIX_CHANNELS, MIX_RATE } from './mix-format.ts';
import type { DeckOptions } from './deck-reader.ts';
import type { TempoSchedule } from '../transition/tempo-schedule.ts';

/** Taps of the interpolation kernel, and the phases its table holds (nearest phase: ≤ 1/8192 of a sample off). */
const TAPS = 32;
const HALF = TAPS / 2;
const PHASES = 4096;
/**
 * Cut-off as a share of Nyquist: under the ±1 % of vinyl mode a 44.1 kHz source's content (≤ 22.05 kHz, 0.92 of 48 kHz's
 * Nyquist) sped up by 1 % reaches 0.93; above 0.95 nothing is left to fold back.
 */
const CUTOFF = 0.95;
const KAISER_BETA = 8.6;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

let kernel: Float32Array | undefined;

/** Row p: the taps for an output that falls p/PHASES of a sample after input sample HALF − 1 of the window. */
function kernelTable(): Float32Array {
  if (kernel) return kernel;
  const table = new Float32Array((PHASES + 1) * TAPS);
  const norm = besselI0(KAISER_BETA);
  for (let p = 0; p <= PHASES; p++) {
    const frac = p / PHASES;
    let sum = 0;
    for (let j = 0; j < TAPS; j++) {
      // Distance (samples) from the output point to tap j.
      const x = j - (HALF - 1) - frac;
      const r = x / HALF;
      const window = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / norm;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * CUTOFF * x) / (Math.PI * CUTOFF * x);
      table[p * TAPS + j] = CUTOFF * sinc * window;
      sum += table[p * TAPS + j]!;
    }
    // Unity gain at DC for every phase: no ripple from one phase to the next.
    for (let j = 0; j < TAPS; j++) table[p * TAPS + j]! /= sum;
  }
  kernel = table;
  return table;
}

/** One piece of the output-to-input time map: from output time `outSec`, input time `inSec` advances at `tempo`. */
interface Piece {
  outSec: number;
  inSec: number;
  tempo: number;
}

/** The schedule from input time `fromSec` on, as pieces of output time (output time 0 = `fromSec`). */
function timeMap(schedule: TempoSchedule, fromSec: number): Piece[] {
  const steps = [{ atSec: -Infinity, tempo: 1 }, ...schedule];
  const pieces: Piece[] = [];
  let out = 0;
  for (let i = 0; i < steps.length; i++) {
    const end = steps[i + 1]?.atSec ?? Infinity;
    if (end <= fromSec) continue;
    const start = Math.max(fromSec, steps[i]!.atSec);
    pieces.push({ outSec: out, inSec: start, tempo: steps[i]!.tempo });
    out += (end - start) / steps[i]!.tempo;
  }
  return pieces;
}

/**
 * A deck played as a vinyl record on a pitch fader without key lock: the track decoded at its own tempo and resampled
 * in process along its tempo schedule, so its pitch moves with its tempo (+1 % is +17.2 cents). Each output frame n
 * reads the track at exactly the input time the schedule maps n / 48 kHz to (a 32-tap Kaiser-windowed sinc between the
 * decoded samples): the timing is the schedule's by construction, with no stretcher's start-up or lead to allow for,
 * at a small share of rubberband's CPU. Same reads as a DeckReader.
 */
export class VinylDeck {
  private readonly source: DeckReader;
  private readonly pieces: Piece[];
  /** Track time of the source's frame 0: on the 48 kHz grid, so the map to its samples is exact. */
  private readonly sourceFromSec: number;
  /** Source frames held: `buffer` starts at source frame `bufferFrom`. */
  private buffer = new Float32Array(0);
  private bufferFrom = 0;
  private produced = 0;
  private piece = 0;

  constructor(opts: DeckOptions & { schedule: TempoSchedule }) {
    this.sourceFromSec = Math.max(0, Math.floor(opts.fromSec * MIX_RATE) - HALF - 1) / MIX_RATE;
    this.pieces = timeMap(opts.schedule, opts.fromSec);
    const toSec = opts.toSec === undefined ? undefined : opts.toSec + (HALF + 2) / MIX_RATE;
    this.source = new DeckReader({
      file: opts.file,
      fromSec: this.sourceFromSec,
      ...(toSec === undefined ? {} : { toSec }),
      gain: opts.gain,
      highWaterFrames: opts.highWaterFrames,
      ffmpeg: opts.ffmpeg,
      media: opts.media,
    });
  }

  /** Output frames [n, n + count) as places in the source (fractional source frames); the pieces are visited in order. */
  private positions(n: number, count: number): Float64Array {
    const out = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const t = (n + k) / MIX_RATE;
      while (this.piece + 1 < this.pieces.length && this.pieces[this.piece + 1]!.outSec <= t) this.piece++;
      const p = this.pieces[this.piece]!;
      out[k] = (p.inSec + (t - p.outSec) * p.tempo - this.sourceFromSec) * MIX_RATE;
    }
    return out;
  }

  /** Makes sure source frames [from, to) are held (from the first frame not yet read, if `from` is past it); drops those before. */
  private async hold(from: number, to: number): Promise<void> {
    const have = this.bufferFrom + this.buffer.length / MIX_CHANNELS;
    const keepFrom = Math.min(Math.max(this.bufferFrom, from), have);
    let kept = this.buffer.subarray((keepFrom - this.bufferFrom) * MIX_CHANNELS);
    if (to > have) {
      const more = await this.source.read(to - have);
      const next = new Float32Array(kept.length + more.length);
      next.set(kept);
      next.set(more, kept.length);
      kept = next;
    }
    this.buffer = kept;
    this.bufferFrom = keepFrom;
  }

  async read(frames: number): Promise<Float32Array> {
    const out = new Float32Array(frames * MIX_CHANNELS);
    await this.readInto(out, 0, frames);
    return out;
  }

  /** Like `read`, into `target` from its frame `at` on. */
  async readInto(target: Float32Array, at: number, frames: number): Promise<void> {
    if (frames <= 0) return;
    const table = kernelTable();
    const pos = this.positions(this.produced, frames);
    await this.hold(Math.max(0, Math.floor(pos[0]!) - HALF), Math.ceil(pos[frames - 1]!) + HALF + 1);
    const buf = this.buffer;
    const base = this.bufferFrom | 0;
    // Local constants in the inner loop (an imported binding is a property lookup under some loaders).
    const ch = 2;
    for (let k = 0; k < frames; k++) {
      // Integers kept as such (an index that is a double takes the slow path).
      const p = pos[k]!;
      const whole = Math.floor(p) | 0;
      const row = (Math.round((p - whole) * PHASES) | 0) * TAPS;
      const i0 = ((whole - (HALF - 1) - base) * ch) | 0;
      let l = 0;
      let r = 0;
      if (i0 >= 0) {
        // Two accumulators a channel: the multiply-adds of even and odd taps run side by side (−30 % CPU).
        let l1 = 0;
        let r1 = 0;
        for (let j = row, i = i0, end = row + TAPS; j < end; j += 2, i += 2 * ch) {
          const w0 = table[j]!;
          const w1 = table[j + 1]!;
          l += w0 * buf[i]!;
          r += w0 * buf[i + 1]!;
          l1 += w1 * buf[i + 2]!;
          r1 += w1 * buf[i + 3]!;
        }
        l += l1;
        r += r1;
      } else {
        // At the track's start: the taps before it read silence.
        for (let j = -i0 >> 1, i = 0; j < TAPS; j++, i += ch) {
          l += table[row + j]! * buf[i]!;
          r += table[row + j]! * buf[i + 1]!;
        }
      }
      target[(at + k) * ch] = l;
      target[(at + k) * ch + 1] = r;
    }
    this.produced += frames;
  }

  close(): void {
    this.source.close();
  }
}
