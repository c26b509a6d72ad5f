// Child process of the mix benchmark: renders a set from the given files and reports time and peak memory.
import { readFileSync } from 'node:fs';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { orderTracks } from '../src/ai/order-tracks.ts';
import { mixSet } from '../src/audio/set/mix-set.ts';
import { ingestTracks } from '../src/ingest/ingest-tracks.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';

const [out, order, ...files] = process.argv.slice(2);
const mode = order === 'queue' ? 'queue' : 'smart';
const scorer = await MixScorer.load();
const store = await AnalysisStore.open(process.env.MINIDJ_DB);
const pool = new AnalyzerPool({ size: 2 });
const tracks = await ingestTracks(files, pool, store, (l) => console.error(l));
await pool.close();
const result = await mixSet(await orderTracks(tracks, scorer, mode), out!, mode, -14);
await store.close();
await scorer.close();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ report: result.report, peakRssMb: hwm ? Number(hwm[1]) / 1024 : NaN }));
