import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { AnalysisStore } from '../db/analysis-store.ts';
import { hashFile } from '../db/content-hash.ts';
import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import { AudioInputError } from '../audio/io/audio-input-error.ts';
import type { AnalyzeOptions } from '../audio/analysis/analyzer-pool.ts';
import type { Analyzer } from '../audio/analysis/analyzer.ts';

export interface IngestResult {
  contentHash: string;
  cached: boolean;
  analysis: TrackAnalysis;
}

/** Called with the analysed file before its record is stored (e.g. to keep the audio): if it throws, nothing is stored. */
export type KeepFile = (file: string, hash: string, sourceName: string) => Promise<unknown>;

/**
 * Hash, reuse a stored analysis of the same bytes, or analyse and store. Nothing is written unless analysis (and
 * `keep`, when given) succeeded.
 */
export async function ingestFile(file: string, pool: Analyzer, store?: AnalysisStore, keep?: KeepFile, job?: AnalyzeOptions): Promise<IngestResult> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new AudioInputError('not-found', `Cannot read "${path.basename(file)}": no such file.`);
  if (!info.isFile()) throw new AudioInputError('not-found', `"${path.basename(file)}" is not a regular file (a folder or a device, say).`);
  const contentHash = await hashFile(file);
  const stored = await store?.get(contentHash);
  if (stored) {
    await keep?.(file, contentHash, stored.sourceName);
    return { contentHash, cached: true, analysis: stored.analysis };
  }
  const analysis = await pool.analyze(file, { ...job, contentHash });
  const sourceName = path.basename(file);
  await keep?.(file, contentHash, sourceName);
  await store?.put({ hash: contentHash, sourceName, bytes: info.size, analysis });
  return { contentHash, cached: false, analysis };
}
