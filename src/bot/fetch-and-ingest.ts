import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AnalyzeOptions } from '../audio/analysis/analyzer-pool.ts';
import type { Analyzer } from '../audio/analysis/analyzer.ts';
import { ingestFile } from '../ingest/ingest-file.ts';
import type { IngestResult } from '../ingest/ingest-file.ts';
import type { AnalysisStore } from '../db/analysis-store.ts';
import type { TrackFiles } from '../db/track-files.ts';
import type { DownloadSlots } from '../ingest/download-slots.ts';
import { downloadAudio } from '../ingest/safe-fetch.ts';
import type { AddressPolicy } from '../ingest/vet-url.ts';
import { fileNameFor } from './track-title.ts';

export interface IngestDeps {
  analyses: AnalysisStore;
  /** Where the library's audio is kept for playing. */
  files: TrackFiles;
  pool: Analyzer;
  /** Parent of the per-request temp dirs; the OS temp dir by default. */
  downloadDir?: string;
  maxBytes: number;
  /** Tests only; undefined keeps the production policy (public addresses only). */
  isAllowedAddress?: AddressPolicy;
  /** The process's downloads in flight (MINIDJ_MAX_DOWNLOADS); a download waits its server's turn for a slot. */
  downloads?: DownloadSlots;
  /** Under a disk quota: frees room for a new track's audio (how many tracks it removed), or refuses. */
  makeRoom?: (incoming: { hash: string; bytes: number }) => Promise<number>;
}

export interface FetchedTrack extends IngestResult {
  /** Tracks removed from the library to keep it under its disk quota. */
  evicted: number;
}

/**
 * Downloads `url` safely into a fresh temp dir, analyses it (or reuses the stored analysis of the same bytes) and
 * removes the download whatever happens; the audio is kept in the library's track files first. The file is named after
 * `title` so the library keeps a readable name.
 */
export async function fetchAndIngest(url: string, title: string, deps: IngestDeps, job?: AnalyzeOptions): Promise<FetchedTrack> {
  const dir = await mkdtemp(path.join(deps.downloadDir ?? tmpdir(), 'minidj-dl-'));
  try {
    const release = await deps.downloads?.acquire(job?.owner ?? '');
    const downloaded = await downloadAudio(url, {
      dir,
      maxBytes: deps.maxBytes,
      ...(deps.isAllowedAddress ? { isAllowedAddress: deps.isAllowedAddress } : {}),
    }).finally(() => release?.());
    const named = path.join(dir, fileNameFor(title, downloaded.kind));
    await rename(downloaded.file, named);
    let evicted = 0;
    const keep = async (file: string, hash: string, sourceName: string): Promise<void> => {
      if (deps.makeRoom) evicted = await deps.makeRoom({ hash, bytes: downloaded.bytes });
      await deps.files.keep(file, hash, sourceName);
    };
    return { ...(await ingestFile(named, deps.pool, deps.analyses, keep, job)), evicted };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
