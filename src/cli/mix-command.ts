import { writeFile } from 'node:fs/promises';
import { MixScorer } from '../ai/mix-scorer.ts';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { orderTracks } from '../ai/order-tracks.ts';
import { mixSet } from '../audio/set/mix-set.ts';
import { isOrderMode } from '../audio/set/order-mode.ts';
import { isSongsMode, isTransitionBars } from '../audio/transition/mix-style.ts';
import type { MixStyle } from '../audio/transition/mix-style.ts';
import { describePlayed, describeTransitions } from '../audio/set/set-report.ts';
import { encoderArgsFor } from '../audio/io/set-encoder.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { ingestTracks } from '../ingest/ingest-tracks.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { collectAudio } from './audio-files.ts';
import { plural } from '../util/plural.ts';
import { setting } from '../util/config.ts';
import { formatDuration } from '../util/format-clock.ts';

export const MIX_USAGE = `minidj mix <files|dir…> --out set.ogg [--order smart|queue] [--style dj|whole] [--bars 4|8|16|32] [--report report.json] [--target-lufs -14] [--db URL]
  Renders a continuous beat-matched set: Ogg Opus (.ogg/.opus), .wav or .flac by the extension of --out.
  --style whole plays each song from its first downbeat to its end, mixing over intros and outros (default: dj, a
  DJ's cuts); --bars sets the transition length (default: the planner's choice for each pair).`;

export async function runMix(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: 'string' },
    order: { type: 'string', default: 'smart' },
    report: { type: 'string' },
    style: { type: 'string', default: 'dj' },
    bars: { type: 'string' },
    'target-lufs': { type: 'string', default: '-14' },
    db: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length === 0) throw new UsageError(`no tracks given\n${MIX_USAGE}`);
  if (!values.out) throw new UsageError(`--out is required\n${MIX_USAGE}`);
  encoderArgsFor(values.out);
  const order = values.order;
  if (!isOrderMode(order)) throw new UsageError('--order is smart or queue');
  const style = mixStyleFrom(values.style, values.bars);
  const target = Number(values['target-lufs']);
  if (!Number.isFinite(target) || target > -5 || target < -30)
    throw new UsageError('--target-lufs takes a loudness between -30 and -5');
  const files = await collectAudio(positionals);
  const scorer = await MixScorer.load();
  const store = await AnalysisStore.open(values.db ?? setting('MINIDJ_DB'));
  const pool = new AnalyzerPool({ size: 2 });
  try {
    const tracks = await ingestTracks(files, pool, store, (line) => process.stderr.write(`minidj: ${line}\n`));
    if (tracks.length === 0) throw new UsageError('none of the tracks could be analysed');
    const { report } = await mixSet(await orderTracks(tracks, scorer, order), values.out, order, target, style);
    if (values.report) await writeFile(values.report, `${JSON.stringify(report, null, 2)}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(
        `Wrote ${values.out}: ${formatDuration(report.durationSec)} with ${plural(report.transitions.length, 'transition')}, rendered in ${report.renderSec.toFixed(1)} s.\n`,
      );
      for (const line of [...describeTransitions(report), ...describePlayed(report)]) process.stdout.write(`${line}\n`);
    }
  } finally {
    await pool.close();
    await store.close();
    await scorer.close();
  }
  return 0;
}

/** `--style` and `--bars` as a mix style. */
function mixStyleFrom(songs: string, bars: string | undefined): MixStyle {
  if (!isSongsMode(songs)) throw new UsageError('--style is dj or whole');
  if (bars === undefined) return { songs };
  const n = Number(bars);
  if (!isTransitionBars(n)) throw new UsageError('--bars is 4, 8, 16 or 32');
  return { songs, bars: n };
}
