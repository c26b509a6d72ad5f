/**
 * One-shot drum sounds, synthesized once per track and mixed in wherever they hit.
 * Each sound is normalized to a peak of 1; the arrangement sets the levels.
 */
import { OnePole, StateVariableFilter } from './filters.ts';
import type { OneShot } from './mix-bus.ts';
import type { Rng } from '../util/prng.ts';

export interface DrumKit {
  kick: OneShot;
  clap: OneShot;
  snare: OneShot;
  closedHat: OneShot;
  openHat: OneShot;
  crash: OneShot;
  shaker: OneShot;
}

function normalize(...channels: Float32Array[]): void {
  let peak = 0;
  for (const ch of channels) for (let i = 0; i < ch.length; i++) peak = Math.max(peak, Math.abs(ch[i]!));
  if (peak === 0) return;
  const g = 1 / peak;
  for (const ch of channels) for (let i = 0; i < ch.length; i++) ch[i]! *= g;
}

function mono(samples: Float32Array): OneShot {
  return { left: samples, right: samples };
}

/** Linear fade over the last `fadeSec`, so a sound never ends on a step. */
function fadeOut(samples: Float32Array, sampleRate: number, fadeSec: number): void {
  const n = Math.min(samples.length, Math.round(fadeSec * sampleRate));
  for (let i = 0; i < n; i++) samples[samples.length - 1 - i]! *= i / n;
}

/** Sine body with a fast downward pitch sweep, a noise click on top and gentle saturation. */
function makeKick(sampleRate: number, rng: Rng): OneShot {
  const startHz = rng.range(140, 170);
  const endHz = rng.range(47, 56);
  const sweepSec = rng.range(0.028, 0.04);
  const holdSec = rng.range(0.025, 0.045);
  const decaySec = rng.range(0.08, 0.11);
  const clickLevel = rng.range(0.25, 0.45);
  const drive = rng.range(1.2, 1.8);
  const out = new Float32Array(Math.round(0.5 * sampleRate));
  const clickFilter = new OnePole(sampleRate, 1500);
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const t = i / sampleRate;
    const hz = endHz + (startHz - endHz) * Math.exp(-t / sweepSec) + 250 * Math.exp(-t / 0.004);
    phase += (2 * Math.PI * hz) / sampleRate;
    const amp = t < holdSec ? 1 : Math.exp(-(t - holdSec) / decaySec);
    const click = clickFilter.highpass(rng.next() * 2 - 1) * clickLevel * Math.exp(-t / 0.003);
    out[i] = Math.tanh(drive * (Math.sin(phase) * amp + click));
  }
  fadeOut(out, sampleRate, 0.03);
  normalize(out);
  return mono(out);
}

/** A few noise bursts a few milliseconds apart, a band-passed tail, a little body. Stereo tail. */
function makeClap(sampleRate: number, rng: Rng): OneShot {
  const centreHz = rng.range(1100, 1600);
  const tailSec = rng.range(0.06, 0.1);
  const bursts = [0, rng.range(0.008, 0.011), rng.range(0.017, 0.022)];
  const tailStart = bursts[2]! + rng.range(0.006, 0.01);
  const bodyHz = rng.range(180, 230);
  const length = Math.round(0.45 * sampleRate);
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  for (const out of [left, right]) {
    const band = new StateVariableFilter(sampleRate, centreHz, 1.2);
    const air = new OnePole(sampleRate, 600);
    for (let i = 0; i < length; i++) {
      const t = i / sampleRate;
      let env = t >= tailStart ? Math.exp(-(t - tailStart) / tailSec) : 0;
      for (const b of bursts) if (t >= b && t < tailStart) env = Math.max(env, Math.exp(-(t - b) / 0.0035));
      const noise = rng.next() * 2 - 1;
      band.process(noise);
      const body = Math.sin(2 * Math.PI * bodyHz * t) * Math.exp(-t / 0.02) * 0.25;
      out[i] = (band.bp * 1.6 + air.highpass(noise) * 0.35) * env + body;
    }
    fadeOut(out, sampleRate, 0.02);
  }
  normalize(left, right);
  return { left, right };
}

/** Noise snare for rolls: band-passed noise plus a short tuned body. */
function makeSnare(sampleRate: number, rng: Rng): OneShot {
  const bodyHz = rng.range(175, 210);
  const noiseSec = rng.range(0.05, 0.08);
  const out = new Float32Array(Math.round(0.3 * sampleRate));
  const band = new StateVariableFilter(sampleRate, rng.range(2500, 4000), 0.7);
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const t = i / sampleRate;
    band.process(rng.next() * 2 - 1);
    phase += (2 * Math.PI * bodyHz * (1 + 0.5 * Math.exp(-t / 0.01))) / sampleRate;
    const body = Math.sin(phase) * Math.exp(-t / 0.035) * 0.6;
    const attack = Math.min(1, t / 0.001);
    out[i] = attack * (band.bp * 1.5 * Math.exp(-t / noiseSec) + body);
  }
  fadeOut(out, sampleRate, 0.02);
  normalize(out);
  return mono(out);
}

/** 808-style metal: six square waves at inharmonic ratios. */
const METAL_RATIOS = [1, 1.483, 1.8, 2.546, 2.63, 3.897];

/** Metallic squares plus noise, high-passed, with the given decay: hats and cymbals. */
function makeMetal(
  sampleRate: number,
  rng: Rng,
  opts: { lengthSec: number; decaySec: number; highpassHz: number; baseHz: number; noiseMix: number },
): Float32Array {
  const out = new Float32Array(Math.round(opts.lengthSec * sampleRate));
  const hp1 = new StateVariableFilter(sampleRate, opts.highpassHz, 0.707);
  const hp2 = new StateVariableFilter(sampleRate, opts.highpassHz, 0.707);
  const phases = METAL_RATIOS.map(() => rng.next());
  const steps = METAL_RATIOS.map((r) => (opts.baseHz * r) / sampleRate);
  const count = phases.length;
  for (let i = 0; i < out.length; i++) {
    const t = i / sampleRate;
    let metal = 0;
    for (let k = 0; k < count; k++) {
      let p = phases[k]! + steps[k]!;
      if (p >= 1) p -= 1;
      phases[k] = p;
      metal += p < 0.5 ? 1 : -1;
    }
    const x = (metal / count) * (1 - opts.noiseMix) + (rng.next() * 2 - 1) * opts.noiseMix;
    hp1.process(x);
    hp2.process(hp1.hp);
    const attack = Math.min(1, t / 0.0015);
    out[i] = hp2.hp * attack * Math.exp(-t / opts.decaySec);
  }
  fadeOut(out, sampleRate, Math.min(0.02, opts.lengthSec / 4));
  return out;
}

function makeHats(sampleRate: number, rng: Rng): { closed: OneShot; open: OneShot } {
  const baseHz = rng.range(300, 420);
  const highpassHz = rng.range(6500, 8000);
  const closed = makeMetal(sampleRate, rng, {
    lengthSec: 0.12,
    decaySec: rng.range(0.018, 0.03),
    highpassHz,
    baseHz,
    noiseMix: 0.55,
  });
  const open = makeMetal(sampleRate, rng, {
    lengthSec: 0.8,
    decaySec: rng.range(0.15, 0.22),
    highpassHz: highpassHz * 0.9,
    baseHz,
    noiseMix: 0.5,
  });
  normalize(closed);
  normalize(open);
  return { closed: mono(closed), open: mono(open) };
}

function makeCrash(sampleRate: number, rng: Rng): OneShot {
  const opts = {
    lengthSec: 2.8,
    decaySec: rng.range(0.7, 1.0),
    highpassHz: rng.range(3000, 4500),
    baseHz: rng.range(420, 560),
    noiseMix: 0.7,
  };
  const left = makeMetal(sampleRate, rng, opts);
  const right = makeMetal(sampleRate, rng, opts);
  normalize(left, right);
  return { left, right };
}

function makeShaker(sampleRate: number, rng: Rng): OneShot {
  const out = new Float32Array(Math.round(0.09 * sampleRate));
  const band = new StateVariableFilter(sampleRate, rng.range(5500, 8000), 1);
  const decay = rng.range(0.02, 0.032);
  for (let i = 0; i < out.length; i++) {
    const t = i / sampleRate;
    band.process(rng.next() * 2 - 1);
    const env = t < 0.006 ? t / 0.006 : Math.exp(-(t - 0.006) / decay);
    out[i] = band.bp * env;
  }
  fadeOut(out, sampleRate, 0.01);
  normalize(out);
  return mono(out);
}

export function makeDrumKit(sampleRate: number, rng: Rng): DrumKit {
  const hats = makeHats(sampleRate, rng);
  return {
    kick: makeKick(sampleRate, rng),
    clap: makeClap(sampleRate, rng),
    snare: makeSnare(sampleRate, rng),
    closedHat: hats.closed,
    openHat: hats.open,
    crash: makeCrash(sampleRate, rng),
    shaker: makeShaker(sampleRate, rng),
  };
}
