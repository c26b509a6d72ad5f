import type { SpectralFrames } from './spectral-frames.ts';

/** Frame-level descriptors averaged over spans [edges[i], edges[i+1]) — beats or bars. */
export interface SpanFeatures {
  low: number[];
  mid: number[];
  high: number[];
  energy: number[];
  centroid: number[];
  chroma: Float64Array[];
  /** Flux in the first sixth of the span: the attack at its start. */
  attackLowFlux: number[];
  attackMidFlux: number[];
}

function frameIndex(frames: SpectralFrames, t: number): number {
  const centreOffset = frames.frameSize / 2 / frames.sampleRate;
  return Math.max(0, Math.min(frames.count, Math.round(((t - centreOffset) * frames.sampleRate) / frames.hop)));
}

export function spanFeatures(frames: SpectralFrames, edges: number[]): SpanFeatures {
  const out: SpanFeatures = {
    low: [],
    mid: [],
    high: [],
    energy: [],
    centroid: [],
    chroma: [],
    attackLowFlux: [],
    attackMidFlux: [],
  };
  for (let s = 0; s + 1 < edges.length; s++) {
    const a = frameIndex(frames, edges[s]!);
    const b = Math.max(a + 1, frameIndex(frames, edges[s + 1]!));
    const attackEnd = a + Math.max(1, Math.round((b - a) / 6));
    let low = 0,
      mid = 0,
      high = 0,
      centroid = 0,
      aLow = 0,
      aMid = 0;
    const chroma = new Float64Array(12);
    let n = 0;
    for (let f = a; f < b && f < frames.count; f++, n++) {
      low += frames.low[f]!;
      mid += frames.mid[f]!;
      high += frames.high[f]!;
      centroid += frames.centroid[f]!;
      // Attack window reaches one frame back: the flux of an onset lands on the frame that contains it.
      if (f < attackEnd) {
        aLow += frames.lowFlux[f]!;
        aMid += frames.midFlux[f]!;
      }
      for (let c = 0; c < 12; c++) chroma[c]! += frames.chroma[f * 12 + c]!;
    }
    const k = Math.max(1, n);
    out.low.push(low / k);
    out.mid.push(mid / k);
    out.high.push(high / k);
    out.energy.push((low + mid + high) / k);
    out.centroid.push(centroid / k);
    out.attackLowFlux.push(aLow);
    out.attackMidFlux.push(aMid);
    out.chroma.push(chroma);
  }
  return out;
}

export function cosineDistance(a: Float64Array, b: Float64Array): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 0;
}
