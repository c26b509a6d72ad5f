/** Level (dB re full scale) of interleaved stereo at `rate` between two times. */
export function rmsDb(stereo: Float32Array, fromSec: number, toSec: number, rate = 48_000): number {
  let e = 0;
  const a = Math.round(fromSec * rate) * 2;
  const b = Math.round(toSec * rate) * 2;
  for (let i = a; i < b; i++) e += stereo[i]! ** 2;
  return 10 * Math.log10(e / (b - a) + 1e-20);
}
