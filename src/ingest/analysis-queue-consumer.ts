import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { liveAnalysisNice } from '../util/live-priorities.ts';
import { UserFacingError } from '../util/user-facing-error.ts';
import { ANALYSIS_QUEUE, errorResult, incomingFile, queueConnection } from './analysis-queue-protocol.ts';
import type { AnalysisJobData, AnalysisJobResult } from './analysis-queue-protocol.ts';
import { statIfAny } from '../util/stat-if-any.ts';

export interface AnalysisWorkerOptions {
  /** MINIDJ_REDIS. */
  url: string;
  /** This machine's mount of the shared tracks directory (MINIDJ_TRACKS_DIR). */
  tracksDir: string;
  /** Analyses at once (threads of this process's AnalyzerPool). */
  concurrency: number;
  /**
   * How long a job stays ours without a word from this process (BullMQ's lock, renewed every half of it; default
   * 30 s): a worker killed mid-job gives its job back to the queue that long after, up to a stalled check later.
   */
  lockMs?: number;
  log?: (line: string) => void;
}

export interface AnalysisWorker {
  /** Finishes the jobs in hand, then stops. */
  close(): Promise<void>;
}

/** Takes analysis jobs off the queue, `concurrency` at a time, and analyses them with the in-process AnalyzerPool. */
export async function startAnalysisWorker(options: AnalysisWorkerOptions): Promise<AnalysisWorker> {
  const log = options.log ?? (() => undefined);
  // Beside a bot on one machine, analyses yield to its live sets as the bot's own do; alone on a machine it changes nothing.
  const pool = new AnalyzerPool({ size: options.concurrency, nice: liveAnalysisNice() });
  const client = queueConnection(options.url);
  const lockMs = options.lockMs ?? 30_000;
  const handle = async (job: Job<AnalysisJobData, AnalysisJobResult>): Promise<AnalysisJobResult> => {
    const file = incomingFile(options.tracksDir, job.data.file);
    // Not the song's fault: this machine does not see the shared directory (or the gateway removed the file).
    if (!(await statIfAny(file))?.isFile())
      throw new Error(
        `${job.data.file} is not in this worker's tracks directory ${options.tracksDir} (is MINIDJ_TRACKS_DIR the shared volume?)`,
      );
    const started = performance.now();
    try {
      const analysis = await pool.analyze(file);
      log(
        `analysed ${job.data.contentHash.slice(0, 12)} (job ${job.id}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      return { ok: true, analysis };
    } catch (error) {
      log(`job ${job.id}: ${(error as Error).message}`);
      if (error instanceof UserFacingError) return errorResult(error);
      throw error;
    }
  };
  const worker = new Worker<AnalysisJobData, AnalysisJobResult>(ANALYSIS_QUEUE, handle, {
    connection: client,
    concurrency: options.concurrency,
    lockDuration: lockMs,
    stalledInterval: Math.min(30_000, Math.max(500, lockMs / 2)),
    maxStalledCount: 2,
  });
  worker.on('error', (error) => log(`queue: ${error.message}`));
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await pool.close();
      if (client.isOpen) await client.close();
    },
  };
}
