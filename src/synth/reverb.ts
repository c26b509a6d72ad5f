/** A small Freeverb-style room (four parallel combs into two series all-passes), mono in, stereo out. */
import type { MixBus } from './mix-bus.ts';

/** Freeverb's delay lengths at 44.1 kHz; the right channel is offset for width. */
const COMB_LENGTHS = [1116, 1277, 1422, 1557];
const ALLPASS_LENGTHS = [556, 341];
const STEREO_SPREAD = 23;
const FEEDBACK = 0.83;
const DAMPING = 0.35;
const ALLPASS_FEEDBACK = 0.5;
const INPUT_GAIN = 0.1;
const REVERB_WET = 0.9;
/** Keeps decaying tails out of the slow subnormal range; far below anything audible. */
const ANTI_DENORMAL = 1e-20;

interface Comb {
  buf: Float64Array;
  index: number;
  store: number;
}

/**
 * Runs the four combs over one block. Each comb's damping filter is a serial recurrence, so
 * running them side by side keeps the CPU busy instead of waiting on one chain.
 */
function runCombs(combs: readonly Comb[], input: Float32Array, from: number, block: Float32Array, count: number): void {
  const [a, b, c, d] = combs as [Comb, Comb, Comb, Comb];
  const bufA = a.buf;
  const bufB = b.buf;
  const bufC = c.buf;
  const bufD = d.buf;
  let ia = a.index;
  let ib = b.index;
  let ic = c.index;
  let id = d.index;
  let sa = a.store;
  let sb = b.store;
  let sc = c.store;
  let sd = d.store;
  for (let i = 0; i < count; i++) {
    const x = input[from + i]! * INPUT_GAIN + ANTI_DENORMAL;
    const oa = bufA[ia]!;
    const ob = bufB[ib]!;
    const oc = bufC[ic]!;
    const od = bufD[id]!;
    sa = oa * (1 - DAMPING) + sa * DAMPING;
    sb = ob * (1 - DAMPING) + sb * DAMPING;
    sc = oc * (1 - DAMPING) + sc * DAMPING;
    sd = od * (1 - DAMPING) + sd * DAMPING;
    bufA[ia] = x + sa * FEEDBACK;
    bufB[ib] = x + sb * FEEDBACK;
    bufC[ic] = x + sc * FEEDBACK;
    bufD[id] = x + sd * FEEDBACK;
    if (++ia === bufA.length) ia = 0;
    if (++ib === bufB.length) ib = 0;
    if (++ic === bufC.length) ic = 0;
    if (++id === bufD.length) id = 0;
    block[i] = oa + ob + oc + od;
  }
  a.index = ia;
  b.index = ib;
  c.index = ic;
  d.index = id;
  a.store = sa;
  b.store = sb;
  c.store = sc;
  d.store = sd;
}

/** Samples per processing block: each delay line runs a tight loop over a block at a time. */
const BLOCK = 1024;

function processChannel(input: Float32Array, output: Float32Array, sampleRate: number, spread: number): void {
  const scale = sampleRate / 44100;
  const combs: Comb[] = COMB_LENGTHS.map((l) => ({
    buf: new Float64Array(Math.max(1, Math.round((l + spread) * scale))),
    index: 0,
    store: 0,
  }));
  const allpasses = ALLPASS_LENGTHS.map((l) => ({
    buf: new Float64Array(Math.max(1, Math.round((l + spread) * scale))),
    index: 0,
  }));
  const block = new Float32Array(BLOCK);
  for (let from = 0; from < input.length; from += BLOCK) {
    const count = Math.min(BLOCK, input.length - from);
    runCombs(combs, input, from, block, count);
    for (const allpass of allpasses) {
      const { buf } = allpass;
      const size = buf.length;
      let { index } = allpass;
      for (let i = 0; i < count; i++) {
        const delayed = buf[index]!;
        const x = block[i]!;
        buf[index] = x + delayed * ALLPASS_FEEDBACK;
        if (++index === size) index = 0;
        block[i] = delayed - x;
      }
      allpass.index = index;
    }
    for (let i = 0; i < count; i++) output[from + i]! += block[i]! * REVERB_WET;
  }
}

/** Adds the reverb of the bus's send signal to its left and right channels. */
export function applyReverb(bus: MixBus, sampleRate: number): void {
  processChannel(bus.send, bus.left, sampleRate, 0);
  processChannel(bus.send, bus.right, sampleRate, STEREO_SPREAD);
}
