import path from 'node:path';
import { describeTrack } from '../ai/track-descriptor.ts';
import type { TrackDescriptor } from '../ai/track-descriptor.ts';
import { MODELS_DIR, saveScorer } from '../ai/scorer-files.ts';
import { DEFAULT_TRAINING, trainScorer } from '../ai/train-scorer.ts';
import type { FeedbackExample } from '../ai/train-scorer.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { FeedbackStore } from '../db/feedback-store.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { plural } from '../util/plural.ts';
import { setting } from '../util/config.ts';

export const TRAIN_USAGE = `minidj train [--seed N] [--out DIR] [--db URL] [--with-library] [--no-feedback] [--epochs N] [--pairs N] [--json]
  Trains the mixability scorer: DJ-rules teacher labels plus the listeners' feedback in the store (weighted higher),
  writes DIR/scorer.onnx and DIR/scorer.json (default: models/). With the defaults and no feedback, the result is
  bit-for-bit the shipped model.
  --with-library  also learn from the analysed tracks in the store (not only the synthetic crate)`;

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} takes a whole number ≥ 1`);
  return n;
}

export async function runTrain(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    seed: { type: 'string' },
    out: { type: 'string' },
    db: { type: 'string' },
    'with-library': { type: 'boolean', default: false },
    'no-feedback': { type: 'boolean', default: false },
    epochs: { type: 'string' },
    pairs: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const dbSetting = values.db ?? setting('MINIDJ_DB');
  const library: TrackDescriptor[] = [];
  const feedback: FeedbackExample[] = [];
  if (values['with-library'] || !values['no-feedback']) {
    const analyses = await AnalysisStore.open(dbSetting);
    const byHash = new Map<string, TrackDescriptor>();
    try {
      for await (const r of analyses.entries()) byHash.set(r.hash, describeTrack(r.analysis));
    } finally {
      await analyses.close();
    }
    if (values['with-library'])
      library.push(...[...byHash.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, d]) => d));
    if (!values['no-feedback']) {
      const store = await FeedbackStore.open(dbSetting);
      const records = [];
      try {
        for await (const f of store.all()) records.push(f);
      } finally {
        await store.close();
      }
      // Stable order, so the same feedback gives the same model.
      records.sort((a, b) => a.id.localeCompare(b.id));
      for (const f of records) {
        const from = byHash.get(f.fromHash);
        const to = byHash.get(f.toHash);
        if (from && to) feedback.push({ from, to, liked: f.liked });
      }
    }
  }
  const options = {
    ...DEFAULT_TRAINING,
    seed: positiveInt(values.seed, 'seed', DEFAULT_TRAINING.seed),
    epochs: positiveInt(values.epochs, 'epochs', DEFAULT_TRAINING.epochs),
    pairs: positiveInt(values.pairs, 'pairs', DEFAULT_TRAINING.pairs),
    library,
    feedback,
  };
  const started = performance.now();
  const trained = trainScorer(options);
  const outDir = path.resolve(values.out ?? MODELS_DIR);
  const meta = await saveScorer(trained, outDir);
  const seconds = (performance.now() - started) / 1000;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ out: outDir, seconds: Number(seconds.toFixed(2)), ...meta })}\n`);
  } else {
    process.stdout.write(
      `Trained ${meta.architecture.join('→')} on ${plural(meta.metrics.trainPairs, 'pair')} (${feedback.length} from listener feedback, ${plural(library.length, 'library track')}) ` +
        `in ${seconds.toFixed(1)} s: held-out AUC against the teacher ${meta.metrics.teacherAucHeldOut.toFixed(4)}.\n` +
        `Wrote ${path.join(outDir, meta.onnx.file)} (sha256 ${meta.onnx.sha256.slice(0, 12)}…) and scorer.json.\n`,
    );
  }
  return 0;
}
