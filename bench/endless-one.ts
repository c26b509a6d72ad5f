// Child process of the mix benchmark: a never-ending set (the given tracks, then the same crate again and again, as a
// live set's `nextTrack` does) run for `hours` of set time as fast as it renders; prints its resident memory over time.
import { readFileSync } from 'node:fs';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { orderTracks } from '../src/ai/order-tracks.ts';
import { SetEngine } from '../src/audio/set/set-engine.ts';
import { TransitionRenderer } from '../src/audio/transition/transition-renderer.ts';
import { ingestTracks } from '../src/ingest/ingest-tracks.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';

const [hoursArg, ...files] = process.argv.slice(2);
const setSec = Number(hoursArg) * 3600;
const scorer = await MixScorer.load();
const store = await AnalysisStore.open(process.env.MINIDJ_DB);
const pool = new AnalyzerPool({ size: 2 });
const tracks = await ingestTracks(files, pool, store, (l) => console.error(l));
await pool.close();
await store.close();
const ordered = (await orderTracks(tracks, scorer, 'smart')).tracks;
await scorer.close();

let turn = 0;
const renderer = new TransitionRenderer();
const engine = new SetEngine(ordered, { renderer, nextTrack: async () => ordered[turn++ % ordered.length] });
const samples: { setMin: number; rssMb: number }[] = [];
let nextSampleSec = 0;
const started = performance.now();
for await (const chunk of engine.stream()) {
  void chunk;
  if (engine.positionSec >= nextSampleSec) {
    samples.push({
      setMin: Number((engine.positionSec / 60).toFixed(1)),
      rssMb: Number((process.memoryUsage().rss / 2 ** 20).toFixed(1)),
    });
    nextSampleSec += 60;
  }
  if (engine.positionSec >= setSec) break;
}
const renderSec = (performance.now() - started) / 1000;
await renderer.close();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(
  JSON.stringify({
    setSec: engine.positionSec,
    renderSec,
    transitions: engine.report.length,
    samples,
    peakRssMb: hwm ? Number(hwm[1]) / 1024 : NaN,
  }),
);
