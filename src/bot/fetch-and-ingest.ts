import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AnalyzerPool } from '../audio/analyzer-pool.ts';
import { ingestFile } from '../audio/ingest.ts';
import type { IngestResult } from '../audio/ingest.ts';
import type { AnalysisStore } from '../db/analysis-store.ts';
import type { TrackFiles } from '../db/track-files.ts';
import { downloadAudio } from '../ingest/safe-fetch.ts';
import type { AddressPolicy } from '../ingest/vet-url.ts';
import { fileNameFor } from './track-title.ts';

export interface IngestDeps {
  analyses: AnalysisStore;
  /** Where the library's audio is kept for playing. */
  files: TrackFiles;
  pool: AnalyzerPool;
  /** Parent of the per-request temp dirs; the OS temp dir by default. */
  downloadDir?: string;
  maxBytes: number;
  /** Tests only; undefined keeps the production policy (public addresses only). */
  isAllowedAddress?: AddressPolicy;
}

/**
 * Downloads `url` safely into a fresh temp dir, analyses it (or reuses the stored analysis of the same bytes) and
 * removes the download whatever happens; the audio is kept in the library's track files first. The file is named after
 * `title` so the library keeps a readable name.
 */
export async function fetchAndIngest(url: string, title: string, deps: IngestDeps): Promise<IngestResult> {
  const dir = await mkdtemp(path.join(deps.downloadDir ?? tmpdir(), 'minidj-dl-'));
  try {
    const downloaded = await downloadAudio(url, {
      dir,
      maxBytes: deps.maxBytes,
      ...(deps.isAllowedAddress ? { isAllowedAddress: deps.isAllowedAddress } : {}),
    });
    const named = path.join(dir, fileNameFor(title, downloaded.kind));
    await rename(downloaded.file, named);
    return await ingestFile(named, deps.pool, deps.analyses, (file, hash, sourceName) => deps.files.keep(file, hash, sourceName));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
