/** Small, allocation-free filters for sample loops. */

/** Highest cutoff we let a filter reach, as a fraction of the sample rate (keeps tan() finite). */
const MAX_CUTOFF_RATIO = 0.45;

function clampCutoff(cutoffHz: number, sampleRate: number): number {
  return Math.min(Math.max(cutoffHz, 10), sampleRate * MAX_CUTOFF_RATIO);
}

/**
 * Trapezoidal state-variable filter (Zavalishin/Simper). Stable while the cutoff moves,
 * which the build-up filter sweeps and bass plucks need. After `process`, read lp/bp/hp.
 */
export class StateVariableFilter {
  lp = 0;
  bp = 0;
  hp = 0;
  private ic1 = 0;
  private ic2 = 0;
  private k = 1;
  private a1 = 0;
  private a2 = 0;
  private a3 = 0;
  private readonly sampleRate: number;

  constructor(sampleRate: number, cutoffHz = 1000, q = 0.707) {
    this.sampleRate = sampleRate;
    this.set(cutoffHz, q);
  }

  set(cutoffHz: number, q: number): void {
    const g = Math.tan((Math.PI * clampCutoff(cutoffHz, this.sampleRate)) / this.sampleRate);
    this.k = 1 / q;
    this.a1 = 1 / (1 + g * (g + this.k));
    this.a2 = g * this.a1;
    this.a3 = g * this.a2;
  }

  reset(): void {
    this.ic1 = 0;
    this.ic2 = 0;
    this.lp = 0;
    this.bp = 0;
    this.hp = 0;
  }

  process(x: number): void {
    const v3 = x - this.ic2;
    const v1 = this.a1 * this.ic1 + this.a2 * v3;
    const v2 = this.ic2 + this.a2 * this.ic1 + this.a3 * v3;
    this.ic1 = 2 * v1 - this.ic1;
    this.ic2 = 2 * v2 - this.ic2;
    this.lp = v2;
    this.bp = v1;
    this.hp = x - this.k * v1 - v2;
  }
}

/** One-pole low-pass; `highpass(x)` returns x minus the low-passed part (6 dB/oct high-pass). */
export class OnePole {
  private state = 0;
  private coeff: number;

  constructor(sampleRate: number, cutoffHz: number) {
    this.coeff = 1 - Math.exp((-2 * Math.PI * clampCutoff(cutoffHz, sampleRate)) / sampleRate);
  }

  reset(): void {
    this.state = 0;
  }

  lowpass(x: number): number {
    this.state += this.coeff * (x - this.state);
    return this.state;
  }

  highpass(x: number): number {
    this.state += this.coeff * (x - this.state);
    return x - this.state;
  }
}
