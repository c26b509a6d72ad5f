import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auc } from '../src/ai/auc.ts';
import { teacherScore, TEACHER_GOOD } from '../src/ai/dj-teacher.ts';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import { predict } from '../src/ai/mlp.ts';
import { FEATURE_COUNT, FEATURE_VERSION, pairFacts, writePairFeatures } from '../src/ai/pair-features.ts';
import { MODELS_DIR } from '../src/ai/scorer-files.ts';
import type { ScorerMeta } from '../src/ai/scorer-files.ts';
import { suggestNext } from '../src/ai/suggest.ts';
import type { LibraryEntry } from '../src/ai/suggest.ts';
import { samplePairs, syntheticCrate } from '../src/ai/synthetic-crate.ts';
import { describeTrack } from '../src/ai/track-descriptor.ts';
import type { TrackDescriptor } from '../src/ai/track-descriptor.ts';
import { buildDatasets, DEFAULT_TRAINING, normalize } from '../src/ai/train-scorer.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { FeedbackStore } from '../src/db/feedback-store.ts';
import { createRng } from '../src/util/prng.ts';
import { analysisFromDescriptor } from './helpers/analysis-from-descriptor.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { mlpFromOnnx } from './helpers/onnx-weights.ts';

const BIN = path.resolve('bin/minidj.js');
let tmp: ReturnType<typeof makeTempDir>;
let shipped: MixScorer;
/** The two `minidj train` runs below, started together (about 7 s each, on a core each) while the other tests run. */
let retrained: Promise<Ran>;
let listenerTrained: Promise<{ run: Ran; out: string }>;
beforeAll(async () => {
  tmp = makeTempDir();
  shipped = await MixScorer.load();
  retrained = minidj(['train', '--seed', '1', '--out', path.join(tmp.dir, 'retrained'), '--json'], {
    MINIDJ_DB: path.join(tmp.dir, 'empty.sqlite'),
  });
  listenerTrained = trainOnListenerFeedback();
  // Each test awaits its own; a failure before then must not go unhandled.
  listenerTrained.catch(() => undefined);
});
afterAll(async () => {
  await Promise.allSettled([retrained, listenerTrained]);
  await shipped.close();
  tmp.cleanup();
});

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function minidj(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ status: null, stdout, stderr: stderr + String(error) }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The hidden preference: the teacher's good mixes, minus those that jump by half an octave or more in brightness. */
const likes = (a: TrackDescriptor, b: TrackDescriptor): boolean => {
  const f = pairFacts(a, b);
  return teacherScore(f) >= TEACHER_GOOD && Math.abs(f.brightnessJumpOct) < 0.5;
};

/** A library of 600 tracks with 400 votes and skips by a listener with that preference, and `minidj train` on it. */
async function trainOnListenerFeedback(): Promise<{ run: Ran; out: string }> {
  const crate = syntheticCrate(600, 77).map((d) => describeTrack(analysisFromDescriptor(d)));
  const db = path.join(tmp.dir, 'listener.sqlite');
  const analyses = await AnalysisStore.open(db);
  for (const [i, d] of crate.entries())
    await analyses.put({
      hash: `t${String(i).padStart(4, '0')}`,
      sourceName: `t${i}.mp3`,
      bytes: 1,
      analysis: analysisFromDescriptor(d),
    });
  await analyses.close();
  const feedback = await FeedbackStore.open(db);
  const played = samplePairs(crate, 4000, 78)
    .filter(([i, j]) => teacherScore(pairFacts(crate[i]!, crate[j]!)) >= TEACHER_GOOD)
    .slice(0, 400);
  for (const [k, [i, j]] of played.entries()) {
    await feedback.add({
      id: `fb${String(k).padStart(4, '0')}`,
      guildId: 'g',
      fromHash: `t${String(i).padStart(4, '0')}`,
      toHash: `t${String(j).padStart(4, '0')}`,
      liked: likes(crate[i]!, crate[j]!),
      source: k % 3 === 0 ? 'skip' : 'vote',
      at: '2026-11-24T00:00:00Z',
    });
  }
  await feedback.close();
  const out = path.join(tmp.dir, 'listener-model');
  return { run: await minidj(['train', '--out', out, '--json'], { MINIDJ_DB: db }), out };
}

function featuresOf(pairs: [TrackDescriptor, TrackDescriptor][]): Float32Array {
  const x = new Float32Array(pairs.length * FEATURE_COUNT);
  pairs.forEach(([a, b], k) => writePairFeatures(a, b, x, k * FEATURE_COUNT));
  return x;
}

describe('the shipped scorer', () => {
  it('ONNX inference equals the TypeScript forward pass within 1e-5 on 10,000 random pairs', async () => {
    const meta = JSON.parse(readFileSync(path.join(MODELS_DIR, 'scorer.json'), 'utf8')) as ScorerMeta;
    const mlp = mlpFromOnnx(readFileSync(path.join(MODELS_DIR, 'scorer.onnx')));
    const crate = syntheticCrate(3000, 4242);
    const rng = createRng(4243, 'parity');
    const pairs = Array.from(
      { length: 10_000 },
      () => [crate[rng.int(0, 3000)]!, crate[rng.int(0, 3000)]!] as [TrackDescriptor, TrackDescriptor],
    );
    const x = featuresOf(pairs);
    const viaOnnx = await shipped.scoreFeatures(x, pairs.length);
    const mean = Float64Array.from(meta.normalization.mean);
    const std = Float64Array.from(meta.normalization.std);
    const viaTs = predict(mlp, normalize(Float64Array.from(x), pairs.length, mean, std), pairs.length);
    let maxDiff = 0;
    for (let i = 0; i < pairs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(viaOnnx[i]! - viaTs[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    // And the outputs are not trivially constant.
    expect(Math.max(...viaOnnx) - Math.min(...viaOnnx)).toBeGreaterThan(0.5);
  });

  it('agrees with the teacher on held-out pairs: AUC ≥ 0.98, recomputed here with onnxruntime', async () => {
    const { heldOut } = buildDatasets(DEFAULT_TRAINING);
    const scores = await shipped.scoreFeatures(Float32Array.from(heldOut.x), heldOut.n);
    const value = auc(
      scores,
      Array.from(heldOut.y, (t) => t >= TEACHER_GOOD),
    );
    expect(value).toBeGreaterThanOrEqual(0.98);
    expect(shipped.meta.metrics.teacherAucHeldOut).toBeCloseTo(value, 3);
  });

  it('is reproduced bit for bit by `minidj train --seed 1`', async () => {
    const out = path.join(tmp.dir, 'retrained');
    const run = await retrained;
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(path.join(out, 'scorer.onnx')).equals(readFileSync(path.join(MODELS_DIR, 'scorer.onnx')))).toBe(
      true,
    );
    expect(readFileSync(path.join(out, 'scorer.json'), 'utf8')).toBe(
      readFileSync(path.join(MODELS_DIR, 'scorer.json'), 'utf8'),
    );
  });
});

describe('a missing or mismatched model is a clear error', () => {
  it('missing', async () => {
    await expect(MixScorer.load(path.join(tmp.dir, 'nowhere'))).rejects.toThrow(
      /^No mixability model at .*scorer\.json\. Run `npx minidj train` to create one\.$/,
    );
  });

  it('trained on another feature version', async () => {
    const dir = path.join(tmp.dir, 'old-model');
    spawnSync('mkdir', ['-p', dir]);
    copyFileSync(path.join(MODELS_DIR, 'scorer.onnx'), path.join(dir, 'scorer.onnx'));
    const meta = JSON.parse(readFileSync(path.join(MODELS_DIR, 'scorer.json'), 'utf8')) as ScorerMeta;
    writeFileSync(path.join(dir, 'scorer.json'), JSON.stringify({ ...meta, featureVersion: 'pair-features-0' }));
    await expect(MixScorer.load(dir)).rejects.toThrow(
      `trained on features "pair-features-0", but this Mini-DJ computes "${FEATURE_VERSION}"`,
    );
  });

  it('a model file that does not match its metadata', async () => {
    const dir = path.join(tmp.dir, 'tampered');
    spawnSync('mkdir', ['-p', dir]);
    copyFileSync(path.join(MODELS_DIR, 'scorer.json'), path.join(dir, 'scorer.json'));
    writeFileSync(path.join(dir, 'scorer.onnx'), Buffer.from('not a model'));
    await expect(MixScorer.load(dir)).rejects.toThrow('does not match scorer.json (checksum differs)');
  });
});

describe('learning from listeners', () => {
  it('a simulated listener who dislikes big brightness jumps: after `minidj train` with that feedback, the model agrees with them more', async () => {
    const { run, out } = await listenerTrained;
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).training.feedbackExamples).toBe(400);
    const tuned = await MixScorer.load(out);

    const test = syntheticCrate(2000, 91);
    const pairs = samplePairs(test, 8000, 92).map(
      ([i, j]) => [test[i]!, test[j]!] as [TrackDescriptor, TrackDescriptor],
    );
    const x = featuresOf(pairs);
    const before = await shipped.scoreFeatures(x, pairs.length);
    const after = await tuned.scoreFeatures(x, pairs.length);
    await tuned.close();
    const teacherGood = pairs.map(([a, b]) => teacherScore(pairFacts(a, b)) >= TEACHER_GOOD);
    const hidden = pairs.map(([a, b]) => likes(a, b));
    // Agreement with the preference where it matters: among the mixes the teacher likes.
    const among = pairs.map((_, k) => k).filter((k) => teacherGood[k]);
    const agreement = (s: Float32Array): number =>
      auc(
        among.map((k) => s[k]!),
        among.map((k) => hidden[k]!),
      );
    const gain = agreement(after) - agreement(before);
    console.log(
      `hidden-preference AUC among teacher-good pairs: ${agreement(before).toFixed(3)} → ${agreement(after).toFixed(3)} (+${gain.toFixed(3)}); teacher AUC after ${auc(after, teacherGood).toFixed(4)}`,
    );
    expect(gain).toBeGreaterThan(0.15);
    expect(auc(after, teacherGood)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('suggestions', () => {
  const base = (over: Partial<TrackDescriptor>): TrackDescriptor => ({
    bpm: 126,
    bpmConfidence: 0.9,
    camelotNumber: 8,
    camelotLetter: 0,
    keyStrength: 0.85,
    loudnessLufs: -9,
    brightnessHz: 2600,
    danceability: 1.5,
    mfcc: [132, 18, 23, 5, 8, 4, 3, 2, 1, 1, 0, 0],
    energyIn: 0.6,
    energyOut: 0.6,
    introBars: 16,
    outroBars: 16,
    intensity: 0.7,
    ...over,
  });

  it('never ranks a key clash or a 20 % tempo gap above a compatible track, and says why', async () => {
    const rng = createRng(5, 'suggest-rule');
    for (let trial = 0; trial < 200; trial++) {
      const number = rng.int(1, 13);
      const letter = rng.int(0, 2);
      const bpm = rng.range(95, 170);
      const from = base({ bpm, camelotNumber: number, camelotLetter: letter, brightnessHz: rng.range(1500, 4000) });
      const compatible = base({
        bpm: bpm * rng.range(0.985, 1.015),
        camelotNumber: ((number + rng.pick([0, 1, 11]) - 1) % 12) + 1,
        camelotLetter: letter,
        brightnessHz: from.brightnessHz * rng.range(0.8, 1.25),
        introBars: rng.pick([8, 16, 32]),
        energyIn: rng.range(0.4, 0.8),
      });
      const clash = base({
        bpm,
        camelotNumber: ((number + 5) % 12) + 1,
        camelotLetter: 1 - letter,
        keyStrength: rng.range(0.75, 0.95),
        brightnessHz: from.brightnessHz,
      });
      const farTempo = base({
        bpm: bpm * rng.pick([1.2, 0.8]),
        camelotNumber: number,
        camelotLetter: letter,
        brightnessHz: from.brightnessHz,
      });
      const library: LibraryEntry[] = [
        { id: 'clash', title: 'clash', descriptor: clash },
        { id: 'far', title: 'far', descriptor: farTempo },
        { id: 'ok', title: 'ok', descriptor: compatible },
      ];
      const ranked = await suggestNext(shipped, { id: 'from', title: 'from', descriptor: from }, library, 3);
      expect(ranked[0]!.id, `trial ${trial}: ${JSON.stringify(ranked.map((r) => [r.id, r.score]))}`).toBe('ok');
      const clashEntry = ranked.find((r) => r.id === 'clash')!;
      expect(clashEntry.relation).toBe('clash');
      expect(clashEntry.reasons.join(', ')).toContain('key clash');
      expect(Math.abs(ranked.find((r) => r.id === 'far')!.stretchPct)).toBeGreaterThan(15);
    }
  });

  it('explains a suggestion in DJ terms', async () => {
    const from = base({ bpm: 126, camelotNumber: 8, camelotLetter: 0, energyOut: 0.5 });
    const next = base({ bpm: 128, camelotNumber: 9, camelotLetter: 0, energyIn: 0.6, introBars: 16, outroBars: 16 });
    const [s] = await suggestNext(
      shipped,
      { id: 'a', title: 'a', descriptor: from },
      [{ id: 'b', title: 'b', descriptor: next }],
      1,
    );
    expect(s!.reasons).toEqual([
      '126→128 BPM (+1.6 %)',
      '8A→9A (neighbouring key)',
      'energy +1',
      'outro 16 bars over intro 16 bars',
    ]);
  });
});
