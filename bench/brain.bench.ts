// npm run bench:brain — scorer throughput, rank over a 100,000-track library, and set ordering, with in-run baselines.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import { predict } from '../src/ai/mlp.ts';
import { FEATURE_COUNT, writePairFeatures } from '../src/ai/pair-features.ts';
import { MODELS_DIR } from '../src/ai/scorer-files.ts';
import type { ScorerMeta } from '../src/ai/scorer-files.ts';
import { orderSet } from '../src/ai/set-order.ts';
import type { OrderItem } from '../src/ai/set-order.ts';
import { syntheticCrate } from '../src/ai/synthetic-crate.ts';
import { normalize } from '../src/ai/train-scorer.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { median } from '../src/audio/dsp/stats.ts';
import { createRng } from '../src/util/prng.ts';
import { mlpFromOnnx } from '../test/helpers/onnx-weights.ts';

const ms = (x: number): string => `${x.toFixed(2)} ms`;
const report: Record<string, number> = {};
const scorer = await MixScorer.load();
const meta = JSON.parse(readFileSync(path.join(MODELS_DIR, 'scorer.json'), 'utf8')) as ScorerMeta;
const tsNet = mlpFromOnnx(readFileSync(path.join(MODELS_DIR, 'scorer.onnx')));
const mean = Float64Array.from(meta.normalization.mean);
const std = Float64Array.from(meta.normalization.std);

console.log(`# Mini-DJ brain benchmark (model ${meta.architecture.join('→')}, onnxruntime-node, 2 threads)\n`);

const crate = syntheticCrate(100_000, 2026);
{
  const n = 2000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await scorer.score(crate[i]!, crate[i + 1]!);
  const perSec = n / ((performance.now() - t0) / 1000);
  report.batch1PairsPerSec = perSec;
  const x = new Float32Array(10_000 * FEATURE_COUNT);
  for (let i = 0; i < 10_000; i++) writePairFeatures(crate[i]!, crate[i + 10_000]!, x, i * FEATURE_COUNT);
  const runs: number[] = [];
  for (let r = 0; r < 20; r++) {
    const t = performance.now();
    await scorer.scoreFeatures(x, 10_000);
    runs.push(performance.now() - t);
  }
  report.batch10kPairsPerSec = 10_000 / (median(runs) / 1000);
  const tsRuns: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    predict(tsNet, normalize(Float64Array.from(x), 10_000, mean, std), 10_000);
    tsRuns.push(performance.now() - t);
  }
  report.tsForward10kPairsPerSec = 10_000 / (median(tsRuns) / 1000);
  console.log(
    `pairs scored per second: batch 1 ${perSec.toFixed(0)}/s; batch 10,000 ${report.batch10kPairsPerSec.toFixed(0)}/s ` +
      `(baseline, plain TypeScript forward pass of the same network: ${report.tsForward10kPairsPerSec.toFixed(0)}/s, ` +
      `onnxruntime ×${(report.batch10kPairsPerSec / report.tsForward10kPairsPerSec).toFixed(1)})`,
  );
}
{
  const runs: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t = performance.now();
    await scorer.rank(crate[r]!, crate, 5, (i) => i === r);
    runs.push(performance.now() - t);
  }
  report.rank100kFirstMs = runs[0]!;
  report.rank100kMedianMs = median(runs.slice(1));
  report.rank100kMaxMs = Math.max(...runs.slice(1));
  console.log(
    `rank over a 100,000-track library, features included: median ${ms(report.rank100kMedianMs)}, max ${ms(report.rank100kMaxMs)} (first call ${ms(report.rank100kFirstMs)}, session warm-up); target ≤ 30 ms`,
  );
}
{
  const n = 500;
  const rng = createRng(9, 'order-bench');
  const tracks = crate.slice(0, n);
  const requesters = ['ana', 'ben', 'chloé', 'dev', 'eli', 'fox'];
  const items: OrderItem[] = tracks.map((d, i) => ({
    id: `t${i}`,
    requester: rng.pick(requesters),
    queuedAt: i,
    intensity: d.intensity,
  }));
  const t0 = performance.now();
  const x = new Float32Array(n * n * FEATURE_COUNT);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) writePairFeatures(tracks[i]!, tracks[j]!, x, (i * n + j) * FEATURE_COUNT);
  const matrix = await scorer.scoreFeatures(x, n * n);
  const t1 = performance.now();
  const smart = orderSet(items, (a, b) => matrix[a * n + b]!, { mode: 'smart' });
  const t2 = performance.now();
  const queue = orderSet(items, (a, b) => matrix[a * n + b]!, { mode: 'queue' });
  report.order500ScoreMatrixMs = t1 - t0;
  report.order500SearchMs = t2 - t1;
  report.order500TotalMs = t2 - t0;
  report.order500MeanScoreSmart = smart.meanScore;
  report.order500MeanScoreQueue = queue.meanScore;
  console.log(
    `ordering 500 tracks: ${ms(report.order500TotalMs)} (score matrix of 250,000 pairs ${ms(t1 - t0)}, search ${ms(t2 - t1)}); target ≤ 1000 ms`,
  );
  console.log(
    `  mean transition score: smart ${smart.meanScore.toFixed(3)} vs queue order ${queue.meanScore.toFixed(3)} (baseline), max delay ${smart.maxDelay} slots`,
  );
}
await scorer.close();
mkdirSync(path.join(PROJECT_ROOT, 'out'), { recursive: true });
writeFileSync(path.join(PROJECT_ROOT, 'out', 'bench-brain.json'), JSON.stringify(report, null, 2));
console.log('\nwritten: out/bench-brain.json');
