// npm run demo — the offline demo: no Discord token, no server. Builds the demo crate and shows what the ears hear.
import path from 'node:path';
import { AnalyzerPool } from '../audio/analyzer-pool.ts';
import { formatDuration } from '../audio/audio-input-error.ts';
import { ingestFile } from '../audio/ingest.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { ensureDemoLibrary } from './demo-library.ts';

const root = path.resolve(import.meta.dirname, '../..');
const libraryDir = path.join(root, 'data', 'demo-library');

console.log('Mini-DJ offline demo\n');
console.log(`Demo crate: ${libraryDir}`);
const files = await ensureDemoLibrary(libraryDir, (file, made) => console.log(`  ${made ? 'synthesized' : 'cached     '} ${path.basename(file)}`));

const store = await AnalysisStore.open(process.env.MINIDJ_DB);
const pool = new AnalyzerPool({ size: 2 });
console.log(`\nAnalysing ${files.length} tracks (store: ${store.target.uri})…\n`);
try {
  const results = await Promise.all(files.map(async (file) => ({ file, ...(await ingestFile(file, pool, store)) })));
  console.log('track                 length   BPM    key        LUFS   structure (bars)                                   mix in → mix out');
  for (const { file, analysis: a, cached } of results) {
    const structure = a.segments.map((s) => `${s.label} ${s.endBar - s.startBar}`).join(' · ');
    console.log(
      `${path.basename(file, '.wav').padEnd(20)}  ${formatDuration(a.durationSec).padStart(5)}  ${a.bpm.toFixed(1).padStart(5)}  ` +
        `${`${a.key} ${a.scale === 'minor' ? 'min' : 'maj'} ${a.camelot}`.padEnd(10)} ${a.loudnessLufs.toFixed(1).padStart(5)}  ` +
        `${structure.padEnd(50)} ${formatDuration(a.cues.mixIn)} → ${formatDuration(a.cues.mixOut)}${cached ? '  (cached)' : ''}`,
    );
  }
  console.log('\nFull analyses: npx minidj analyze "data/demo-library/01 Warm Up.wav" --json');
} finally {
  await pool.close();
  await store.close();
}
