import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MixScorer } from '../ai/mix-scorer.ts';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { formatDuration } from '../audio/io/audio-input-error.ts';
import { ingestFile } from '../ingest/ingest-file.ts';
import { orderTracks } from '../ai/order-tracks.ts';
import { SetEngine } from '../audio/set/set-engine.ts';
import type { TransitionReport } from '../audio/set/set-engine.ts';
import { encodeStream, encoderArgsFor } from '../audio/io/set-encoder.ts';
import type { PlannedTrack } from '../audio/transition/transition-plan.ts';
import { TransitionRenderer } from '../audio/transition/transition-renderer.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { collectAudio } from './audio-files.ts';

export const MIX_USAGE = `minidj mix <files|dir…> --out set.ogg [--order smart|queue] [--report report.json] [--target-lufs -14] [--db URL]
  Renders a continuous beat-matched set: Ogg Opus (.ogg/.opus), .wav or .flac by the extension of --out.`;

const INGEST_AT_ONCE = 4;

export interface MixReport {
  out: string;
  durationSec: number;
  renderSec: number;
  order: 'smart' | 'queue';
  targetLufs: number;
  tracks: { title: string; file: string; bpm: number; key: string; camelot: string }[];
  transitions: Omit<TransitionReport, 'plan'>[];
}

export async function ingestTracks(files: string[], pool: AnalyzerPool, store: AnalysisStore | undefined, log: (line: string) => void): Promise<PlannedTrack[]> {
  const tracks: PlannedTrack[] = [];
  // A few at a time: the analysis queue holds at most 8 waiting per server and refuses the rest.
  const waiting = [...files];
  const worker = async (): Promise<void> => {
    for (let file = waiting.shift(); file !== undefined; file = waiting.shift()) {
      try {
        const { contentHash, analysis } = await ingestFile(file, pool, store);
        tracks.push({ id: contentHash, file, title: path.basename(file).replace(/\.[^.]+$/, ''), analysis });
      } catch (err) {
        log(`skipping ${file}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: INGEST_AT_ONCE }, worker));
  // Input order, whatever order the analyses finished in.
  return files.flatMap((f) => tracks.filter((t) => t.file === f));
}

/** Orders, plans and renders a set to `out`; returns the report. Serves `minidj mix` and the demo. */
export interface MixResult {
  report: MixReport;
  /** The tracks in play order and the engine's transitions with their plans (for measurement). */
  tracks: PlannedTrack[];
  transitions: TransitionReport[];
}

export async function mixSet(tracks: PlannedTrack[], out: string, order: 'smart' | 'queue', targetLufs: number, scorer: MixScorer): Promise<MixResult> {
  const ordered = await orderTracks(tracks, scorer, order);
  const renderer = new TransitionRenderer();
  const engine = new SetEngine(ordered.tracks, { renderer, targetLufs, scores: ordered.scores });
  const started = performance.now();
  try {
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await encodeStream(engine.stream(), out);
  } finally {
    await renderer.close();
  }
  const report: MixReport = {
    out,
    durationSec: Number(engine.positionSec.toFixed(3)),
    renderSec: Number(((performance.now() - started) / 1000).toFixed(2)),
    order,
    targetLufs,
    tracks: ordered.tracks.map((t) => ({ title: t.title, file: t.file, bpm: t.analysis.bpm, key: `${t.analysis.key} ${t.analysis.scale}`, camelot: t.analysis.camelot })),
    transitions: engine.report.map(({ plan: _plan, ...rest }) => ({ ...rest, startSec: Number(rest.startSec.toFixed(3)), endSec: Number(rest.endSec.toFixed(3)) })),
  };
  return { report, tracks: ordered.tracks, transitions: engine.report };
}

export function describeTransitions(report: MixReport): string[] {
  return report.transitions.map(
    (t) =>
      `${formatDuration(t.startSec).padStart(5)}  ${t.from.title} → ${t.to.title}: ${t.style}, ${t.overlapBars} bars, ` +
      `${t.from.bpm.toFixed(1)}→${t.to.bpm.toFixed(1)} BPM (stretch ${t.stretchPct >= 0 ? '+' : ''}${t.stretchPct.toFixed(1)} %), ${t.from.camelot}→${t.to.camelot}` +
      `${t.score !== undefined ? `, score ${t.score.toFixed(2)}` : ''}${t.check ? `; ${t.check.summary}` : ''}`,
  );
}

export async function runMix(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: 'string' },
    order: { type: 'string', default: 'smart' },
    report: { type: 'string' },
    'target-lufs': { type: 'string', default: '-14' },
    db: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length === 0) throw new UsageError(`no tracks given\n${MIX_USAGE}`);
  if (!values.out) throw new UsageError(`--out is required\n${MIX_USAGE}`);
  encoderArgsFor(values.out);
  const order = values.order;
  if (order !== 'smart' && order !== 'queue') throw new UsageError('--order is smart or queue');
  const target = Number(values['target-lufs']);
  if (!Number.isFinite(target) || target > -5 || target < -30) throw new UsageError('--target-lufs takes a loudness between -30 and -5');
  const files = await collectAudio(positionals);
  const scorer = await MixScorer.load();
  const store = await AnalysisStore.open(values.db ?? process.env.MINIDJ_DB);
  const pool = new AnalyzerPool({ size: 2 });
  try {
    const tracks = await ingestTracks(files, pool, store, (line) => process.stderr.write(`minidj: ${line}\n`));
    if (tracks.length === 0) throw new UsageError('none of the tracks could be analysed');
    const { report } = await mixSet(tracks, values.out, order, target, scorer);
    if (values.report) await writeFile(values.report, `${JSON.stringify(report, null, 2)}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(`Wrote ${values.out}: ${formatDuration(report.durationSec)} with ${report.transitions.length} transitions, rendered in ${report.renderSec.toFixed(1)} s.\n`);
      for (const line of describeTransitions(report)) process.stdout.write(`${line}\n`);
    }
  } finally {
    await pool.close();
    await store.close();
    await scorer.close();
  }
  return 0;
}
