// npm run demo — the offline demo: no Discord token, no server. Builds the demo crate, analyses it, and mixes a set.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MixScorer } from '../ai/mix-scorer.ts';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { orderTracks } from '../ai/order-tracks.ts';
import { mixSet } from '../audio/set/mix-set.ts';
import { describeTransitions } from '../audio/set/set-report.ts';
import { ingestTracks } from '../ingest/ingest-tracks.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { renderSetPicture } from '../viz/set-picture.ts';
import { ensureDemoLibrary } from './demo-library.ts';
import { setPictureData } from '../viz/set-picture-data.ts';
import { plural } from '../util/plural.ts';
import { setting } from '../util/config.ts';
import { formatDuration } from '../util/format-clock.ts';

const root = path.resolve(import.meta.dirname, '../..');
const libraryDir = path.join(root, 'data', 'demo-library');
const outDir = path.join(root, 'out');
const setFile = path.join(outDir, 'demo-set.ogg');

console.log('Mini-DJ offline demo\n');
console.log(`Demo crate: ${libraryDir}`);
const files = await ensureDemoLibrary(libraryDir, (file, made) =>
  console.log(`  ${made ? 'synthesized' : 'cached     '} ${path.basename(file)}`),
);

const store = await AnalysisStore.open(setting('MINIDJ_DB'));
const pool = new AnalyzerPool({ size: 2 });
const scorer = await MixScorer.load();
try {
  console.log(`\nAnalysing ${plural(files.length, 'track')} (store: ${store.target.uri})…`);
  const tracks = await ingestTracks(files, pool, store, (line) => console.error(line));
  await pool.close();
  for (const t of tracks) {
    const a = t.analysis;
    console.log(
      `  ${t.title.padEnd(14)} ${formatDuration(a.durationSec)}  ${a.bpm.toFixed(1)} BPM  ${a.key} ${a.scale} (${a.camelot})  ${a.segments.map((s) => `${s.label} ${s.endBar - s.startBar}`).join(' · ')}`,
    );
  }
  console.log('\nOrdering by mixability along an energy arc and rendering the set…');
  const {
    report,
    tracks: ordered,
    transitions,
  } = await mixSet(await orderTracks(tracks, scorer, 'smart'), setFile, 'smart', -14);
  await writeFile(path.join(outDir, 'demo-set.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(
    path.join(outDir, 'demo-set.png'),
    renderSetPicture(setPictureData('Mini-DJ demo set', ordered, transitions, report.durationSec)),
  );
  console.log(
    `\n${formatDuration(report.durationSec)} set with ${plural(report.transitions.length, 'transition')}, rendered in ${report.renderSec.toFixed(1)} s:`,
  );
  for (const line of describeTransitions(report)) console.log(`  ${line}`);
  console.log(
    `\nListen: ${path.relative(process.cwd(), setFile)}\nReport: ${path.relative(process.cwd(), path.join(outDir, 'demo-set.json'))}\nPicture: ${path.relative(process.cwd(), path.join(outDir, 'demo-set.png'))}`,
  );
} finally {
  await pool.close();
  await store.close();
  await scorer.close();
}
