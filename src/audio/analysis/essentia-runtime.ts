import { createRequire } from 'node:module';

/** The subset of essentia.js we call; every returned vector must be freed with `.delete()`. */
export interface EssentiaVector {
  delete(): void;
  size(): number;
}
export interface EssentiaInstance {
  arrayToVector(values: Float32Array): EssentiaVector;
  vectorToArray(vector: EssentiaVector): Float32Array;
  RhythmExtractor2013(
    signal: EssentiaVector,
    maxTempo: number,
    method: string,
    minTempo: number,
  ): {
    bpm: number;
    ticks: EssentiaVector;
    confidence: number;
    estimates: EssentiaVector;
    bpmIntervals: EssentiaVector;
  };
  KeyExtractor(
    audio: EssentiaVector,
    averageDetuningCorrection: boolean,
    frameSize: number,
    hopSize: number,
    hpcpSize: number,
    maxFrequency: number,
    maximumSpectralPeaks: number,
    minFrequency: number,
    pcpThreshold: number,
    profileType: string,
    sampleRate: number,
    spectralPeaksThreshold: number,
    tuningFrequency: number,
    weightType: string,
    windowType: string,
  ): { key: string; scale: string; strength: number };
  Danceability(
    signal: EssentiaVector,
    maxTau: number,
    minTau: number,
    sampleRate: number,
    tauMultiplier: number,
  ): {
    danceability: number;
    dfa: EssentiaVector;
  };
  MFCC(
    spectrum: EssentiaVector,
    dctType: number,
    highFrequencyBound: number,
    inputSize: number,
    liftering: number,
    logType: string,
    lowFrequencyBound: number,
    normalize: string,
    numberBands: number,
    numberCoefficients: number,
    sampleRate: number,
  ): { bands: EssentiaVector; mfcc: EssentiaVector };
  shutdown?(): void;
}

let instance: EssentiaInstance | undefined;
let wasmModule: { HEAPU8?: Uint8Array } | undefined;

/**
 * essentia.js installs process-wide uncaughtException/unhandledRejection handlers that abort the process,
 * so it must only be loaded inside a worker thread; we also remove what it installed.
 */
export function loadEssentia(): EssentiaInstance {
  if (instance) return instance;
  const before = {
    exception: process.listeners('uncaughtException'),
    rejection: process.listeners('unhandledRejection'),
  };
  const require = createRequire(import.meta.url);
  const mod = require('essentia.js') as { Essentia: new (wasm: unknown) => EssentiaInstance; EssentiaWASM: unknown };
  for (const l of process.listeners('uncaughtException'))
    if (!before.exception.includes(l)) process.off('uncaughtException', l);
  for (const l of process.listeners('unhandledRejection'))
    if (!before.rejection.includes(l)) process.off('unhandledRejection', l);
  wasmModule = mod.EssentiaWASM as { HEAPU8?: Uint8Array };
  instance = new mod.Essentia(mod.EssentiaWASM);
  return instance;
}

/** essentia.js throws bare numbers (WASM exception pointers); turn anything it throws into a message. */
export function essentiaCall<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const detail = err instanceof Error ? err.message : typeof err === 'number' ? `WASM exception ${err}` : String(err);
    throw new Error(`essentia ${what} failed: ${detail}`, { cause: err });
  }
}

/** Runs `fn` with vectors that are freed afterwards whatever happens. */
export function withVectors<T>(vectors: EssentiaVector[], fn: () => T): T {
  try {
    return fn();
  } finally {
    for (const v of vectors) v.delete();
  }
}

/** Size of essentia's WASM heap. It only ever grows, so a leak shows as growth across repeated analyses. */
export function essentiaHeapBytes(): number {
  loadEssentia();
  return wasmModule?.HEAPU8?.length ?? 0;
}
