import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AnalyzeOptions } from '../../audio/analysis/analyzer-pool.ts';
import type { Analyzer } from '../../audio/analysis/analyzer.ts';
import { ingestFile } from '../../ingest/ingest-file.ts';
import type { IngestResult } from '../../ingest/ingest-file.ts';
import type { AnalysisStore } from '../../db/analysis-store.ts';
import type { TrackFiles } from '../../db/track-files.ts';
import type { DownloadSlots } from '../../ingest/download-slots.ts';
import { downloadAudio } from '../../ingest/safe-fetch.ts';
import type { AddressPolicy } from '../../ingest/vet-url.ts';
import { hashFile } from '../../db/content-hash.ts';
import type { LibraryQuota } from '../../library/library-quota.ts';
import type { ReservationKeeper } from './reservation-keeper.ts';
import { fileNameFor } from '../discord/track-title.ts';

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
  /** The disk quota, for the job owner's library: checked before analysis, room made before the audio is kept. */
  quota?: Pick<LibraryQuota, 'check' | 'makeRoom'>;
  /** Keeps a reserved add's place alive while its download and analysis run, however long they take. */
  reservations?: Pick<ReservationKeeper, 'hold'>;
}

export interface FetchedTrack extends IngestResult {
  /** Tracks taken out of the server's library to keep it under its share of the disk quota. */
  evicted: number;
}

/**
 * Downloads `url` safely into a fresh temp dir, analyses it (or reuses the stored analysis of the same bytes) and
 * removes the download whatever happens; the audio is kept in the library's track files first. The file is named after
 * `title` so the library keeps a readable name.
 */
export async function fetchAndIngest(
  url: string,
  title: string,
  deps: IngestDeps,
  job?: AnalyzeOptions & { pendingId?: string },
): Promise<FetchedTrack> {
  // The slot is asked for before anything asynchronous, so the turns follow the order the adds came in.
  const release = await deps.downloads?.acquire(job?.owner ?? '');
  const dir = await mkdtemp(path.join(deps.downloadDir ?? tmpdir(), 'minidj-dl-')).catch((error: unknown) => {
    release?.();
    throw error;
  });
  try {
    const downloaded = await downloadAudio(url, {
      dir,
      maxBytes: deps.maxBytes,
      ...(deps.isAllowedAddress ? { isAllowedAddress: deps.isAllowedAddress } : {}),
    }).finally(() => release?.());
    const named = path.join(dir, fileNameFor(title, downloaded.kind));
    await rename(downloaded.file, named);
    const room = (hash: string) => ({
      hash,
      bytes: downloaded.bytes,
      library: job?.owner ?? '',
      ...(job?.pendingId ? { pendingId: job.pendingId } : {}),
    });
    // A library with no room refuses the song before the analyser spends anything on it.
    await deps.quota?.check(room(await hashFile(named)));
    let evicted = 0;
    const keep = async (file: string, hash: string, sourceName: string): Promise<void> => {
      if (deps.quota) evicted = await deps.quota.makeRoom(room(hash));
      await deps.files.keep(file, hash, sourceName);
    };
    return { ...(await ingestFile(named, deps.pool, deps.analyses, keep, job)), evicted };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
