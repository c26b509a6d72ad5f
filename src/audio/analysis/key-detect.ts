import type { Scale } from './analysis-types.ts';
import { camelotCode, keyName, pitchClass } from '../music/camelot.ts';
import type { EssentiaInstance, EssentiaVector } from './essentia-runtime.ts';
import { essentiaCall } from './essentia-runtime.ts';

export interface KeyResult {
  key: string;
  scale: Scale;
  camelot: string;
  strength: number;
}

/** Chosen by measurement on the synthesized set and the real clips (see bench/analyze.bench.ts). */
export const KEY_PROFILE = 'shaath';

export function detectKey(
  essentia: EssentiaInstance,
  signal: EssentiaVector,
  sampleRate: number,
  profile = KEY_PROFILE,
): KeyResult {
  const r = essentiaCall('KeyExtractor', () =>
    essentia.KeyExtractor(
      signal,
      true,
      4096,
      4096,
      12,
      3500,
      60,
      25,
      0.2,
      profile,
      sampleRate,
      0.0001,
      440,
      'cosine',
      'hann',
    ),
  );
  const key = keyName(pitchClass(r.key));
  const scale: Scale = r.scale === 'minor' ? 'minor' : 'major';
  return { key, scale, camelot: camelotCode(key, scale), strength: Number(r.strength.toFixed(3)) };
}
