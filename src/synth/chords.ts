/** Chords, one per bar: detuned-saw stabs in builds and drops, soft pads in breakdowns. */
import type { BarPlan, ChordMode } from './arrangement.ts';
import { barSample, type BeatGrid } from './beat-grid.ts';
import { OnePole, StateVariableFilter } from './filters.ts';
import { addScratch, type MixBus } from './mix-bus.ts';
import { midiToHz } from './music-theory.ts';
import { centsToRatio, sawSample } from './oscillators.ts';
import type { Rng } from '../util/prng.ts';
import { applySidechain, type SidechainShape } from './sidechain.ts';
import type { TrackStyle } from './track-style.ts';

interface UnisonVoice {
  cents: number;
  left: number;
  right: number;
}

interface ChordPatch {
  attackSec: number;
  releaseSec: number;
  /** Detune of the three unison voices in cents, with their left/right gains. */
  voices: [UnisonVoice, UnisonVoice, UnisonVoice];
  q: number;
  level: number;
  send: number;
}

const PATCHES: Record<Exclude<ChordMode, 'off'>, ChordPatch> = {
  saw: {
    attackSec: 0.004,
    releaseSec: 0.08,
    voices: [
      { cents: -12, left: 1, right: 0.35 },
      { cents: 0, left: 0.7, right: 0.7 },
      { cents: 11, left: 0.35, right: 1 },
    ],
    q: 0.9,
    level: 0.14,
    send: 0.15,
  },
  pad: {
    attackSec: 0.35,
    releaseSec: 0.5,
    voices: [
      { cents: -7, left: 1, right: 0.4 },
      { cents: 1, left: 0.5, right: 0.5 },
      { cents: 8, left: 0.4, right: 1 },
    ],
    q: 0.7,
    level: 0.15,
    send: 0.45,
  },
};

/** Samples between filter-coefficient updates while the cutoff sweeps. */
const CONTROL_BLOCK = 32;
/** Keeps chord energy out of the kick and bass region. */
const CHORD_HIGHPASS_HZ = 170;

/** Adds one note's three detuned saws, from random phases, to the scratch buffers. */
function renderUnison(
  left: Float32Array,
  right: Float32Array,
  total: number,
  baseStep: number,
  patch: ChordPatch,
  rng: Rng,
): void {
  const [a, b, c] = patch.voices;
  const dtA = baseStep * centsToRatio(a.cents);
  const dtB = baseStep * centsToRatio(b.cents);
  const dtC = baseStep * centsToRatio(c.cents);
  let pa = rng.next();
  let pb = rng.next();
  let pc = rng.next();
  for (let i = 0; i < total; i++) {
    const sa = sawSample(pa, dtA);
    const sb = sawSample(pb, dtB);
    const sc = sawSample(pc, dtC);
    left[i]! += sa * a.left + sb * b.left + sc * c.left;
    right[i]! += sa * a.right + sb * b.right + sc * c.right;
    pa += dtA;
    if (pa >= 1) pa -= 1;
    pb += dtB;
    if (pb >= 1) pb -= 1;
    pc += dtC;
    if (pc >= 1) pc -= 1;
  }
}

export function renderChords(
  bus: MixBus,
  plans: readonly BarPlan[],
  grid: BeatGrid,
  style: TrackStyle,
  kicks: readonly number[],
  rng: Rng,
): void {
  const sr = grid.sampleRate;
  const maxRelease = Math.ceil(Math.max(PATCHES.saw.releaseSec, PATCHES.pad.releaseSec) * sr);
  const capacity = Math.ceil(grid.barSec * sr) + 2 + maxRelease;
  const left = new Float32Array(capacity);
  const right = new Float32Array(capacity);
  const lowpassL = new StateVariableFilter(sr);
  const lowpassR = new StateVariableFilter(sr);
  const highpassL = new OnePole(sr, CHORD_HIGHPASS_HZ);
  const highpassR = new OnePole(sr, CHORD_HIGHPASS_HZ);
  const pump: SidechainShape = {
    depth: 0.65,
    attackSamples: Math.round(0.004 * sr),
    releaseSamples: Math.round(grid.beatSec * 0.55 * sr),
  };

  for (const p of plans) {
    if (p.chords === 'off') continue;
    const patch = PATCHES[p.chords];
    const start = barSample(grid, p.bar);
    const length = barSample(grid, p.bar + 1) - start;
    const release = Math.round(patch.releaseSec * sr);
    const attack = Math.round(patch.attackSec * sr);
    const total = length + release;
    left.fill(0, 0, total);
    right.fill(0, 0, total);

    for (const note of style.voicings[p.chordIndex]!) renderUnison(left, right, total, midiToHz(note) / sr, patch, rng);
    renderUnison(left, right, total, midiToHz(style.pedal) / sr, patch, rng);

    lowpassL.reset();
    lowpassR.reset();
    highpassL.reset();
    highpassR.reset();
    const ratio = p.chordCutoffTo / p.chordCutoffFrom;
    for (let i = 0; i < total; i++) {
      if (i % CONTROL_BLOCK === 0) {
        const cutoff = p.chordCutoffFrom * Math.pow(ratio, Math.min(i, length) / length);
        lowpassL.set(cutoff, patch.q);
        lowpassR.set(cutoff, patch.q);
      }
      let env: number;
      if (i < attack) env = i / attack;
      else if (i < length) env = 1;
      else {
        const x = 1 - (i - length) / release;
        env = x * x;
      }
      lowpassL.process(left[i]!);
      lowpassR.process(right[i]!);
      left[i] = highpassL.highpass(lowpassL.lp) * env;
      right[i] = highpassR.highpass(lowpassR.lp) * env;
    }

    if (p.pump) applySidechain(left, right, total, start, kicks, pump);
    addScratch(bus, left, right, total, start, { gainLeft: patch.level, gainRight: patch.level, send: patch.send });
  }
}
