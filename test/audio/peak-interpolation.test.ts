import { describe, expect, it } from 'vitest';
import { parabolicOffset } from '../../src/audio/dsp/peak-interpolation.ts';

const parabola =
  (vertex: number) =>
  (x: number): number =>
    1 - (x - vertex) ** 2;

describe('parabolicOffset', () => {
  it('finds the vertex of a downward parabola through three samples', () => {
    for (const vertex of [-0.4, -0.1, 0, 0.25, 0.45]) {
      const y = parabola(vertex);
      expect(parabolicOffset(y(-1), y(0), y(1))).toBeCloseTo(vertex, 12);
    }
  });

  it('clamps to half a step and gives 0 on a flat or upward triple unless asked', () => {
    const y = parabola(2);
    expect(parabolicOffset(y(-1), y(0), y(1))).toBe(0.5);
    expect(parabolicOffset(1, 1, 1)).toBe(0);
    expect(parabolicOffset(1, 1, 1, true)).toBe(0);
    expect(parabolicOffset(0, 1, 5)).toBe(0);
    expect(parabolicOffset(0, 1, 5, true)).toBe(-0.5);
  });
});
