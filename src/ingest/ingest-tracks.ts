import path from 'node:path';
import type { Analyzer } from '../audio/analysis/analyzer.ts';
import type { PlannedTrack } from '../audio/transition/transition-plan.ts';
import type { AnalysisStore } from '../db/analysis-store.ts';
import { ingestFile } from './ingest-file.ts';

const INGEST_AT_ONCE = 4;

/** Analyses (or finds in the store) each file, in input order; a file that fails is logged and left out. */
export async function ingestTracks(
  files: string[],
  pool: Analyzer,
  store: AnalysisStore | undefined,
  log: (line: string) => void,
): Promise<PlannedTrack[]> {
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
