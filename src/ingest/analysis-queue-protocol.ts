import path from 'node:path';
import { createClient } from '@redis/client';

export type QueueClient = ReturnType<typeof queueConnection>;
import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import { AnalyzerBusyError } from '../audio/analysis/analyzer-pool.ts';
import { AudioInputError } from '../audio/io/audio-input-error.ts';
import type { AudioInputErrorCode } from '../audio/io/audio-input-error.ts';
import { UserFacingError } from '../util/user-facing-error.ts';

/*
 * What the gateway processes and the analysis workers agree on, over Redis (BullMQ) and the shared tracks directory.
 *
 * The tracks directory (MINIDJ_TRACKS_DIR, a volume every machine mounts):
 *   <hash><ext>                  the library's audio, one file per content hash (TrackFiles)
 *   .<uuid>.partial              a library file being copied (renamed into place when whole)
 *   incoming/<job id><ext>       a song waiting for (or in) analysis, written whole (renamed from .partial) by the
 *                                gateway that queued it, removed by it when the job has ended
 * A job names its file relative to the directory, so each machine may mount it where it likes.
 */

export const ANALYSIS_QUEUE = 'minidj-analysis';
export const INCOMING_DIR = 'incoming';

export interface AnalysisJobData {
  /** The audio, relative to the tracks directory: `incoming/<job id><ext>`. */
  file: string;
  contentHash: string;
  /** Whose song it is (a server), for the logs. */
  owner: string;
}

/** A job's return value: the analysis, or the user-facing error the in-process pool would have given. */
export type AnalysisJobResult =
  { ok: true; analysis: TrackAnalysis } | { ok: false; name: string; code: string; message: string };

/** The job's file on this machine; refuses a name that leads out of `incoming/`. */
export function incomingFile(tracksDir: string, relative: string): string {
  const file = path.resolve(tracksDir, relative);
  if (path.dirname(file) !== path.resolve(tracksDir, INCOMING_DIR))
    throw new Error(`not a file in ${INCOMING_DIR}/: ${relative}`);
  return file;
}

export function errorResult(error: UserFacingError<string>): AnalysisJobResult {
  return { ok: false, name: error.name, code: error.code, message: error.message };
}

/** The error a job's result stands for, of the class the in-process pool throws. */
export function errorOf(result: Extract<AnalysisJobResult, { ok: false }>): Error {
  if (result.name === 'AudioInputError') return new AudioInputError(result.code as AudioInputErrorCode, result.message);
  if (result.name === 'AnalyzerBusyError') return new AnalyzerBusyError(result.message);
  return new UserFacingError(result.code, result.message, result.name);
}

/**
 * A node-redis client for BullMQ (which drives `@redis/client` as well as ioredis). BullMQ does not close a client it
 * was given: the caller does.
 */
export function queueConnection(url: string) {
  const client = createClient({ url });
  client.on('error', () => {
    // BullMQ sees the errors it cares about; the client reconnects by itself.
  });
  return client;
}
