import { describe, expect, it } from 'vitest';
import { PeakLimiter } from '../../src/audio/dsp/peak-limiter.ts';
import { TruePeakMeter } from '../../src/audio/dsp/true-peak.ts';

const RATE = 48_000;
const LOOK = Math.round(0.005 * RATE);

/** Interleaved stereo: a sine at `hz` and `amplitude`, both channels alike. */
function sine(seconds: number, hz: number, amplitude: number, phase = 0): Float32Array {
  const n = Math.round(seconds * RATE);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) out[2 * i] = out[2 * i + 1] = amplitude * Math.sin(2 * Math.PI * hz * (i / RATE) + phase);
  return out;
}

/** The limiter's whole output for `input`: processed in chunks of `chunk` frames, then flushed. */
function limit(input: Float32Array, chunk = 4800, limiter = new PeakLimiter(RATE, 2)): Float32Array {
  const buf = input.slice();
  for (let f = 0; f < buf.length / 2; f += chunk)
    limiter.process(buf.subarray(2 * f, 2 * Math.min(buf.length / 2, f + chunk)));
  const tail = limiter.flush();
  const out = new Float32Array(buf.length + tail.length);
  out.set(buf);
  out.set(tail, buf.length);
  return out;
}

const dbtp = (x: Float32Array): number => {
  const meter = new TruePeakMeter(2);
  meter.push(x);
  return meter.truePeakDb();
};

describe('peak limiter', () => {
  it("passes audio under the ceiling unchanged, only delayed by its look-ahead (and the interpolator's half length)", () => {
    const input = sine(0.5, 440, 0.5);
    const out = limit(input);
    const delay = out.length / 2 - input.length / 2;
    expect(delay).toBeGreaterThanOrEqual(LOOK);
    expect(delay).toBeLessThan(LOOK + 32);
    let worst = 0;
    for (let i = 0; i < input.length; i++) worst = Math.max(worst, Math.abs(out[i + 2 * delay]! - input[i]!));
    expect(worst).toBe(0);
  });

  it('holds a signal 6 dB over full scale to its −2 dB ceiling, true peak included, with no overshoot at the attack', () => {
    const input = new Float32Array(2 * RATE);
    // Silence, then a loud sine from a zero crossing: the limiter must be down before the first peak arrives.
    input.set(sine(0.8, 997, 2), 2 * 4800);
    const out = limit(input);
    expect(dbtp(out)).toBeLessThanOrEqual(-2 + 0.05);
    // And the level is held close to the ceiling, not pumped far under it.
    const steady = out.subarray(2 * 24_000, 2 * 36_000);
    expect(dbtp(steady)).toBeGreaterThan(-2.5);
  });

  it('catches inter-sample peaks that the samples alone miss', () => {
    // A quarter of the sample rate at 45°: every sample at 0.707 of the waveform's peak, 3 dB under it.
    const amplitude = 10 ** (-0.5 / 20);
    const input = sine(0.5, RATE / 4, amplitude, Math.PI / 4);
    let samplePeak = 0;
    for (const x of input) samplePeak = Math.max(samplePeak, Math.abs(x));
    expect(20 * Math.log10(samplePeak)).toBeLessThan(-3);
    expect(dbtp(input)).toBeGreaterThan(-1);
    expect(dbtp(limit(input))).toBeLessThanOrEqual(-2 + 0.05);
  });

  it('recovers after a peak with its release (80 ms): back within 1 dB of unity 0.5 s later', () => {
    const input = new Float32Array(2 * RATE);
    input.set(sine(0.05, 997, 3), 0);
    input.set(sine(0.4, 997, 0.3), 2 * 24_000);
    const out = limit(input);
    const delay = out.length / 2 - input.length / 2;
    const peak = (x: Float32Array, from: number, to: number) =>
      x.subarray(2 * from, 2 * to).reduce((p, v) => Math.max(p, Math.abs(v)), 0);
    const gainDb = 20 * Math.log10(peak(out, 36_000 + delay, 40_000 + delay) / peak(input, 36_000, 40_000));
    expect(gainDb).toBeGreaterThan(-1);
    expect(gainDb).toBeLessThanOrEqual(0);
  });

  it('gives the same output whatever the chunk sizes', () => {
    const input = sine(0.3, 331, 1.8);
    const whole = limit(input, 14_400);
    const small = limit(input, 37);
    expect(small).toEqual(whole);
  });

  it('fades out what it holds when the stream must stop at once: no click', () => {
    const limiter = new PeakLimiter(RATE, 2);
    const buf = sine(0.1, 440, 0.5);
    limiter.process(buf);
    limiter.fadeOutHeld();
    const tail = limiter.flush();
    // The held 5 ms (oldest first) fall to silence under a quarter cosine; what was not yet in the delay line is silence.
    const level = (from: number, to: number) => Math.max(...tail.subarray(2 * from, 2 * to).map(Math.abs));
    expect(level(0, 10)).toBeGreaterThan(0.3);
    expect(level(LOOK / 2, LOOK / 2 + 10)).toBeLessThanOrEqual(0.5 * Math.SQRT1_2);
    expect(level(LOOK - 4, LOOK)).toBeLessThan(0.01);
    expect(level(LOOK, tail.length / 2)).toBe(0);
  });
});
