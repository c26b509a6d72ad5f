import type { TrackAnalysis } from './analysis-types.ts';
import type { AnalyzeOptions } from './analyzer-pool.ts';

/**
 * What ingest asks of the ears: analyse a file, say how many jobs wait, close. The in-process `AnalyzerPool` (worker
 * threads) is one; the Redis-backed queue (`src/ingest/analysis-queue.ts`, worker processes on any machine) the other.
 * Failures are the same `UserFacingError`s either way.
 */
export interface Analyzer {
  analyze(file: string, options?: AnalyzeOptions): Promise<TrackAnalysis>;
  /** Jobs this process asked for that no worker has taken yet. */
  waiting(): number;
  close(): Promise<void>;
}
