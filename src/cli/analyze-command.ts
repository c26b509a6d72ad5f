import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import { AudioInputError } from '../audio/io/audio-input-error.ts';
import type { MediaTags } from '../audio/io/media-tags.ts';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { ingestFile } from '../ingest/ingest-file.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { ProgressBar } from './progress-bar.ts';
import { plural } from '../util/plural.ts';
import { setting } from '../util/config.ts';
import { formatClock } from '../util/format-clock.ts';

export const ANALYZE_USAGE = `minidj analyze <files…> [--json] [--no-store] [--db URL] [--jobs N]
  Analyses audio files (mp3, flac, wav, ogg, opus, m4a) and prints one result per file.
  --json      one JSON object per line on stdout (a stable interface)
  --no-store  do not read or write the analysis store
  --db URL    store location (default: MINIDJ_DB, else data/minidj.sqlite)
  --jobs N    analyse N files at once (default 1; each uses one core)`;

export type AnalyzeOutput =
  | ({ file: string; contentHash: string; cached: boolean; tags: MediaTags } & TrackAnalysis)
  | { file: string; error: string; code: string };

function humanLine(out: AnalyzeOutput): string {
  if ('error' in out) return `✗ ${out.file}: ${out.error}`;
  const drop = out.segments.find((seg) => seg.label === 'drop');
  return (
    `✓ ${out.file}: ${formatClock(out.durationSec)}, ${out.bpm.toFixed(1)} BPM (conf ${out.bpmConfidence.toFixed(2)}), ${out.key} ${out.scale} (${out.camelot}), ` +
    `${out.loudnessLufs.toFixed(1)} LUFS, ${plural(out.downbeats.length, 'bar')}, ` +
    `${out.segments.map((seg) => `${seg.label} ${seg.endBar - seg.startBar}`).join(' · ')}; ` +
    `mix in ${out.cues.mixIn.toFixed(1)} s, out ${out.cues.mixOut.toFixed(1)} s${drop ? `, first drop ${drop.start.toFixed(1)} s` : ''}${out.cached ? ' (cached)' : ''}`
  );
}

async function analyzeOne(file: string, pool: AnalyzerPool, store: AnalysisStore | undefined): Promise<AnalyzeOutput> {
  try {
    const { contentHash, cached, analysis, tags } = await ingestFile(file, pool, store);
    return { file, contentHash, cached, tags, ...analysis };
  } catch (err) {
    const code = err instanceof AudioInputError ? err.code : 'error';
    return { file, error: err instanceof Error ? err.message : String(err), code };
  }
}

export async function runAnalyze(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    json: { type: 'boolean', default: false },
    'no-store': { type: 'boolean', default: false },
    db: { type: 'string' },
    jobs: { type: 'string', default: '1' },
  });
  if (positionals.length === 0) throw new UsageError(`no files given\n${ANALYZE_USAGE}`);
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError('--jobs takes a whole number ≥ 1');
  const store = values['no-store'] ? undefined : await AnalysisStore.open(values.db ?? setting('MINIDJ_DB'));
  const pool = new AnalyzerPool({ size: jobs });
  const progress = new ProgressBar(positionals.length);
  let failures = 0;
  try {
    const results: Promise<void>[] = [];
    let next = 0;
    const outputs: (AnalyzeOutput | undefined)[] = new Array(positionals.length);
    let printed = 0;
    // Results print in input order as soon as every earlier file is done.
    const flush = (): void => {
      while (printed < outputs.length && outputs[printed]) {
        const out = outputs[printed]!;
        process.stdout.write(`${values.json ? JSON.stringify(out) : humanLine(out)}\n`);
        printed++;
      }
    };
    const worker = async (): Promise<void> => {
      while (next < positionals.length) {
        const i = next++;
        const out = await analyzeOne(positionals[i]!, pool, store);
        if ('error' in out) failures++;
        outputs[i] = out;
        progress.tick(positionals[i]!);
        flush();
      }
    };
    for (let w = 0; w < Math.min(jobs, positionals.length); w++) results.push(worker());
    await Promise.all(results);
  } finally {
    await pool.close();
    await store?.close();
  }
  return failures > 0 ? 1 : 0;
}
