import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzePcm } from '../src/audio/analysis/analyze-pcm.ts';
import { essentiaHeapBytes, loadEssentia } from '../src/audio/analysis/essentia-runtime.ts';
import { structureForBars, synthesizeTrack } from '../src/synth/track-synth.ts';

describe('essentia.js memory', () => {
  it('frees every vector: repeated analyses do not grow the WASM heap', () => {
    const t = synthesizeTrack({ bpm: 126, key: 'G', scale: 'minor', seed: 3, sections: structureForBars(16) });
    const mono = new Float32Array(t.left.length);
    for (let i = 0; i < mono.length; i++) mono[i] = 0.5 * (t.left[i]! + t.right[i]!);
    const input = {
      mono,
      sampleRate: t.sampleRate,
      durationSec: mono.length / t.sampleRate,
      loudnessLufs: -10,
      loudnessRangeLu: 2,
      truePeakDb: -1,
    };
    const essentia = loadEssentia();
    // Two warm-up runs reach the allocator's high-water mark.
    analyzePcm(input, essentia);
    analyzePcm(input, essentia);
    const settled = essentiaHeapBytes();
    let last = analyzePcm(input, essentia);
    for (let i = 0; i < 2; i++) last = analyzePcm(input, essentia);
    expect(essentiaHeapBytes()).toBe(settled);
    expect(last.bpm).toBeCloseTo(126, 1);
  });

  it('loading essentia leaves no process-wide crash handlers behind', () => {
    const script = `
      const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
      const { loadEssentia } = await import(${JSON.stringify(path.resolve('src/audio/analysis/essentia-runtime.ts'))});
      loadEssentia();
      console.log(JSON.stringify({ before, after: [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')] }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const { before, after } = JSON.parse(run.stdout) as { before: number[]; after: number[] };
    expect(after).toEqual(before);
  });
});
