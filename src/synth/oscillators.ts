/** Band-limited-enough oscillator helpers, written to be inlined into sample loops. */

/**
 * PolyBLEP residual for a phase t in [0, 1) advancing by dt per sample: subtract it from a
 * naive saw (add it for the rising edge of a square) to remove most aliasing.
 */
function polyBlep(t: number, dt: number): number {
  if (t < dt) {
    const x = t / dt;
    return x + x - x * x - 1;
  }
  if (t > 1 - dt) {
    const x = (t - 1) / dt;
    return x * x + x + x + 1;
  }
  return 0;
}

/** Saw in [-1, 1] at phase t in [0, 1). */
export function sawSample(t: number, dt: number): number {
  return 2 * t - 1 - polyBlep(t, dt);
}

/** Square in [-1, 1] at phase t in [0, 1). */
export function squareSample(t: number, dt: number): number {
  let half = t + 0.5;
  if (half >= 1) half -= 1;
  return (t < 0.5 ? 1 : -1) + polyBlep(t, dt) - polyBlep(half, dt);
}

/** Triangle in [-1, 1]; its harmonics fall fast enough that aliasing is inaudible here. */
export function triangleSample(t: number): number {
  return t < 0.5 ? 4 * t - 1 : 3 - 4 * t;
}

export function centsToRatio(cents: number): number {
  return Math.pow(2, cents / 1200);
}
