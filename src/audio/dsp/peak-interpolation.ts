/**
 * Where the peak of three equally spaced values (l, c, r around a maximum c) lies, between its neighbours: the vertex
 * of the parabola through them, as an offset from c in [-0.5, 0.5]. 0 when the parabola does not open downward
 * (flat, or c no maximum), unless `alsoUpward`: then an upward parabola gives its clamped vertex too (its minimum, on
 * the side of the smaller neighbour).
 */
export function parabolicOffset(l: number, c: number, r: number, alsoUpward = false): number {
  const curvature = l - 2 * c + r;
  const bends = alsoUpward ? curvature !== 0 : curvature < 0;
  return bends ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / curvature)) : 0;
}
