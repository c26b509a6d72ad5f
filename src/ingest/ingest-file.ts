import path from 'node:path';
import type { AnalysisStore } from '../db/analysis-store.ts';
import { hashFile } from '../db/content-hash.ts';
import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import { AudioInputError } from '../audio/io/audio-input-error.ts';
import { audioLimitsFromEnv } from '../audio/io/limits.ts';
import { MEDIA_RULES_VERSION } from '../audio/io/media-rules.ts';
import type { MediaTags } from '../audio/io/media-tags.ts';
import { vetMedia } from '../audio/io/vet-media.ts';
import type { AnalyzeOptions } from '../audio/analysis/analyzer-pool.ts';
import type { Analyzer } from '../audio/analysis/analyzer.ts';
import { statIfAny } from '../util/stat-if-any.ts';

export interface IngestResult {
  contentHash: string;
  cached: boolean;
  analysis: TrackAnalysis;
  /** The file's own title, artist and album (plain text; empty when it has none). */
  tags: MediaTags;
}

/** Called with the analysed file before its record is stored (e.g. to keep the audio): if it throws, nothing is stored. */
export type KeepFile = (file: string, hash: string, sourceName: string) => Promise<unknown>;

/**
 * Hash, reuse a stored analysis of the same bytes, or vet (media-rules.ts: before anything decodes it), analyse and
 * store. A stored track vetted under older rules is vetted again, and refused like a new one when it no longer passes
 * (its record stays as it was). Nothing is written unless analysis (and `keep`, when given) succeeded.
 */
export async function ingestFile(
  file: string,
  pool: Analyzer,
  store?: AnalysisStore,
  keep?: KeepFile,
  job?: AnalyzeOptions,
): Promise<IngestResult> {
  const info = await statIfAny(file);
  if (!info) throw new AudioInputError('not-found', `Cannot read "${path.basename(file)}": no such file.`);
  if (!info.isFile())
    throw new AudioInputError(
      'not-found',
      `"${path.basename(file)}" is not a regular file (a folder or a device, say).`,
    );
  const contentHash = await hashFile(file);
  let stored = await store?.get(contentHash);
  if (stored?.mediaRulesVersion === MEDIA_RULES_VERSION) {
    await keep?.(file, contentHash, stored.sourceName);
    return { contentHash, cached: true, analysis: stored.analysis, tags: stored.tags ?? {} };
  }
  const limits = audioLimitsFromEnv();
  const media = await vetMedia(file, { maxBytes: limits.maxBytes, maxDurationSec: limits.maxDurationSec });
  const vetted = { tags: media.tags, mediaRulesVersion: media.rulesVersion };
  if (stored && store) {
    stored = await store.markVetted(stored, vetted);
    await keep?.(file, contentHash, stored.sourceName);
    return { contentHash, cached: true, analysis: stored.analysis, tags: media.tags };
  }
  const analysis = await pool.analyze(file, { ...job, contentHash, media });
  const sourceName = path.basename(file);
  await keep?.(file, contentHash, sourceName);
  await store?.put({ hash: contentHash, sourceName, bytes: info.size, analysis, ...vetted });
  return { contentHash, cached: false, analysis, tags: media.tags };
}
