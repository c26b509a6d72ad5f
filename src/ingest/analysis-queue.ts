import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import type { Analyzer } from '../audio/analysis/analyzer.ts';
import { ANALYSIS_BUDGET_MS, AnalyzerBusyError, MAX_WAITING, MAX_WAITING_PER_OWNER } from '../audio/analysis/analyzer-pool.ts';
import type { AnalyzeOptions } from '../audio/analysis/analyzer-pool.ts';
import { AudioInputError } from '../audio/io/audio-input-error.ts';
import { audioLimitsFromEnv } from '../audio/io/limits.ts';
import { hashFile } from '../db/content-hash.ts';
import { ANALYSIS_QUEUE, INCOMING_DIR, errorOf, queueConnection } from './analysis-queue-protocol.ts';
import type { AnalysisJobData, AnalysisJobResult, QueueClient } from './analysis-queue-protocol.ts';

interface Waiter {
  owner: string;
  file: string;
  onStatus?: AnalyzeOptions['onStatus'];
  /** When a worker took it (performance.now()). */
  startedAt?: number;
  timer?: NodeJS.Timeout;
  resolve: (a: TrackAnalysis) => void;
  reject: (e: Error) => void;
}

export interface AnalysisQueueOptions {
  /** The shared tracks directory (MINIDJ_TRACKS_DIR): the job's audio is put in its `incoming/`. */
  tracksDir: string;
  /** How long a job may wait for a worker before it is given up (default 10 minutes, MINIDJ_QUEUE_WAIT_MIN). */
  waitMs?: number;
  /** Told of each analysis a worker ran: its time from taken to done (s) and whether it gave an analysis. */
  onFinished?: (seconds: number, ok: boolean) => void;
}

/**
 * The gateway's side of the analysis queue (MINIDJ_REDIS): a song is copied into the shared tracks directory's
 * `incoming/`, queued on BullMQ, analysed by whichever worker process (`npm run worker`, on any machine) takes it, and
 * its analysis (or the user-facing error the in-process pool would give) comes back on the queue's events. A
 * server's second song waits behind every server's first (BullMQ priorities), as the pool serves servers in turn.
 */
export class AnalysisQueue implements Analyzer {
  private readonly waiters = new Map<string, Waiter>();
  private readonly perOwner = new Map<string, number>();
  private closed = false;
  private readonly queue: Queue<AnalysisJobData, AnalysisJobResult>;
  private readonly events: QueueEvents;
  private readonly clients: QueueClient[];
  private readonly options: AnalysisQueueOptions;

  private constructor(queue: Queue<AnalysisJobData, AnalysisJobResult>, events: QueueEvents, clients: QueueClient[], options: AnalysisQueueOptions) {
    this.queue = queue;
    this.events = events;
    this.clients = clients;
    this.options = options;
    events.on('active', ({ jobId }) => this.taken(jobId));
    events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, returnvalue as unknown as AnalysisJobResult));
    events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, { ok: false, name: 'AudioInputError', code: 'analysis-failed', message: `The analyzer failed on this file (${failedReason}).` }));
  }

  static async open(url: string, options: AnalysisQueueOptions): Promise<AnalysisQueue> {
    const clients = [queueConnection(url), queueConnection(url)];
    const queue = new Queue<AnalysisJobData, AnalysisJobResult>(ANALYSIS_QUEUE, { connection: clients[0]! });
    const events = new QueueEvents(ANALYSIS_QUEUE, { connection: clients[1]! });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    await sweepIncoming(options.tracksDir, waitLimitMs(options));
    return new AnalysisQueue(queue, events, clients, options);
  }

  async analyze(file: string, options: AnalyzeOptions = {}): Promise<TrackAnalysis> {
    if (this.closed) throw new Error('the analysis queue is closed');
    const owner = options.owner ?? '';
    const mine = this.perOwner.get(owner) ?? 0;
    if (mine >= MAX_WAITING_PER_OWNER) throw new AnalyzerBusyError(`${mine} songs from this server are already waiting to be analysed; try again once they are in.`);
    this.perOwner.set(owner, mine + 1);
    try {
      if ((await this.queue.getJobCountByTypes('waiting', 'prioritized')) >= MAX_WAITING) throw new AnalyzerBusyError('The analyser is busy with other servers\' songs; try again in a few minutes.');
      return await this.run(file, owner, mine + 1, options);
    } finally {
      this.release(owner);
    }
  }

  waiting(): number {
    let n = 0;
    for (const w of this.waiters.values()) if (w.startedAt === undefined) n++;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.waiters.keys()]) this.settle(id, { ok: false, name: 'Error', code: 'closed', message: 'the analysis queue was closed' });
    await this.events.close();
    await this.queue.close();
    await Promise.all(this.clients.map((c) => (c.isOpen ? c.close() : undefined)));
  }

  /** Copies the song into `incoming/`, queues it and waits for its result; the copy is removed whatever happens. */
  private async run(source: string, owner: string, priority: number, options: AnalyzeOptions): Promise<TrackAnalysis> {
    const jobId = randomUUID();
    const relative = path.join(INCOMING_DIR, jobId + path.extname(source).toLowerCase());
    const file = path.join(this.options.tracksDir, relative);
    try {
      const contentHash = options.contentHash ?? (await hashFile(source));
      await copyWhole(source, file);
      const done = new Promise<TrackAnalysis>((resolve, reject) => {
        this.waiters.set(jobId, { owner, file, ...(options.onStatus ? { onStatus: options.onStatus } : {}), resolve, reject });
      });
      // Settled by an event while the lines below still wait on Redis: not an unhandled rejection.
      done.catch(() => undefined);
      await this.queue.add('analyze', { file: relative, contentHash, owner }, { jobId, priority, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } });
      this.arm(jobId);
      const ahead = Math.max(0, (await this.queue.getJobCountByTypes('waiting', 'prioritized')) - 1);
      // Unless a worker has taken it meanwhile.
      if (this.waiters.get(jobId)?.startedAt === undefined) options.onStatus?.({ state: 'queued', ahead });
      return await done;
    } finally {
      this.waiters.delete(jobId);
      await rm(file, { force: true });
    }
  }

  /** Gives a job up when no worker has finished it in time (none running, say). */
  private arm(jobId: string): void {
    const w = this.waiters.get(jobId);
    if (!w) return;
    const limit = waitLimitMs(this.options);
    w.timer = setTimeout(() => {
      void this.queue.remove(jobId).catch(() => undefined);
      this.settle(jobId, { ok: false, name: 'AudioInputError', code: 'analysis-failed', message: `No analysis worker finished this song within ${Math.round(limit / 60_000)} minutes; tell the bot owner (are the workers running?).` });
    }, limit);
  }

  private taken(jobId: string): void {
    const w = this.waiters.get(jobId);
    if (!w || w.startedAt !== undefined) return;
    w.startedAt = performance.now();
    w.onStatus?.({ state: 'analysing' });
  }

  private settle(jobId: string, result: AnalysisJobResult): void {
    const w = this.waiters.get(jobId);
    if (!w) return;
    this.waiters.delete(jobId);
    clearTimeout(w.timer);
    if (w.startedAt !== undefined) this.options.onFinished?.((performance.now() - w.startedAt) / 1000, result.ok);
    if (result.ok) w.resolve(result.analysis);
    else w.reject(errorOf(result));
  }

  private release(owner: string): void {
    const n = (this.perOwner.get(owner) ?? 1) - 1;
    if (n <= 0) this.perOwner.delete(owner);
    else this.perOwner.set(owner, n);
  }
}

function waitLimitMs(options: AnalysisQueueOptions): number {
  const limits = audioLimitsFromEnv();
  return (options.waitMs ?? 10 * 60_000) + limits.decodeTimeoutMs + ANALYSIS_BUDGET_MS;
}

/** Written to a temporary name and renamed: a worker on another machine never sees half a file. */
async function copyWhole(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const partial = path.join(path.dirname(target), `.${randomUUID()}.partial`);
  try {
    await copyFile(source, partial);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new AudioInputError('analysis-failed', `The song could not be handed to the analyser (${code ?? 'I/O error'}); tell the bot owner.`);
  }
}

/** What a killed gateway left in `incoming/`: files older than any job may wait. */
async function sweepIncoming(tracksDir: string, olderThanMs: number): Promise<void> {
  const dir = path.join(tracksDir, INCOMING_DIR);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > olderThanMs) await rm(file, { force: true });
  }
}
