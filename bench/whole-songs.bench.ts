// npm run bench:whole — what a set plays of each song, whole songs against DJ cuts, on released tracks
// (../shared/real-music): each set rendered in both styles by `minidj mix`'s service, the part of each song played
// from the report, and the bars heard measured on the rendered audio (src/eval/heard-bars.ts).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { decodeWavInterleaved } from '../src/audio/io/wav.ts';
import { mixSet } from '../src/audio/set/mix-set.ts';
import type { MixStyle } from '../src/audio/transition/mix-style.ts';
import { heardBars } from '../src/eval/heard-bars.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { ingestTracks } from '../src/ingest/ingest-tracks.ts';
import { formatDuration } from '../src/util/format-clock.ts';

const REAL_DIR = process.env.MINIDJ_REAL_MUSIC
  ? path.resolve(process.env.MINIDJ_REAL_MUSIC)
  : path.resolve(PROJECT_ROOT, '../shared/real-music');
const WORK = path.join(PROJECT_ROOT, 'data', 'bench-whole');
/**
 * Sets in play order, `;` between sets (BENCH_WHOLE_SETS): by default the three tracks (a filter fade and an
 * echo-out as DJ cuts), and three that blend (145 BPM, neighbouring keys).
 */
const SETS = (process.env.BENCH_WHOLE_SETS ?? 'Lava,valley,alien_signal;farm,celtic,bay')
  .split(';')
  .map((s) => s.split(',').map((t) => t.trim()));
const STYLES: MixStyle[] = [{ songs: 'dj' }, { songs: 'whole' }];
/** A bar counts as heard when this share of its landmarks is found in the set (bars a set does not play: 0–4 %). */
const HEARD = 0.05;

const pct = (x: number): string => `${Math.round(x * 100)} %`;

async function renderInStyle(
  name: string,
  tracks: Awaited<ReturnType<typeof ingestTracks>>,
  style: MixStyle,
): Promise<void> {
  const wav = path.join(WORK, `${name}-${style.songs}.wav`);
  const result = await mixSet({ tracks }, wav, 'queue', -14, style);
  const started = performance.now();
  const heard = await heardBars(decodeWavInterleaved(readFileSync(wav)).stereo, result.tracks, result.transitions);
  const measureSec = (performance.now() - started) / 1000;
  console.log(
    `\n### ${style.songs === 'whole' ? 'Whole songs' : 'DJ cuts'}: ${formatDuration(result.report.durationSec)} set, rendered in ${result.report.renderSec.toFixed(1)} s, measured in ${measureSec.toFixed(1)} s\n`,
  );
  for (const t of result.report.transitions)
    console.log(
      `- ${t.from.title} → ${t.to.title}: ${t.style}, ${t.overlapBars} bars at ${formatDuration(t.startSec)}`,
    );
  console.log('\n| track | length | played (report) | share | bars heard (audio) | first bar | last bar heard |');
  console.log('|---|---|---|---|---|---|---|');
  let playedSec = 0;
  let totalSec = 0;
  for (const [k, t] of result.report.tracks.entries()) {
    const a = result.tracks[k]!.analysis;
    const bars = heard[k]!.bars;
    const judged = bars.filter((b) => b !== null);
    const last = a.energy.findLastIndex((e) => e >= HEARD);
    playedSec += t.played.toSec - t.played.fromSec;
    totalSec += a.durationSec;
    console.log(
      `| ${t.title} | ${formatDuration(a.durationSec)} | ${formatDuration(t.played.fromSec)}–${formatDuration(t.played.toSec)} | ${pct(t.played.share)} | ` +
        `${judged.filter((b) => b >= HEARD).length} of ${judged.length} | ${pct(bars[0] ?? 0)} | bar ${last + 1}: ${pct(bars[last] ?? 0)} |`,
    );
  }
  console.log(
    `\nPlayed ${formatDuration(playedSec)} of ${formatDuration(totalSec)} (${pct(playedSec / totalSec)}); never heard: ${formatDuration(totalSec - playedSec)}.`,
  );
}

if (!existsSync(REAL_DIR)) {
  console.log(`(skipped: ${REAL_DIR} not found; set MINIDJ_REAL_MUSIC)`);
  process.exit(0);
}
mkdirSync(WORK, { recursive: true });
const pool = new AnalyzerPool({ size: 2 });
try {
  for (const names of SETS) {
    const files = names.map((n) => path.join(REAL_DIR, `${n}.ogg`));
    // Analysed afresh (no store): a stored analysis from another analyzer version is refused rather than mixed.
    const tracks = await ingestTracks(files, pool, undefined, (l) => console.error(l));
    console.log(`\n## ${names.join(' → ')}`);
    for (const style of STYLES) await renderInStyle(names.join('-'), tracks, style);
  }
} finally {
  await pool.close();
}
