import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { Job } from 'bullmq';
import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import type { Analyzer } from '../audio/analysis/analyzer.ts';
import {
  ANALYSIS_BUDGET_MS,
  displacedByShare,
  refusedByShare,
  WAITING_LIMITS,
} from '../audio/analysis/analyzer-pool.ts';
import type { AnalyzeOptions } from '../audio/analysis/analyzer-pool.ts';
import { AudioInputError } from '../audio/io/audio-input-error.ts';
import { audioLimitsFromEnv } from '../audio/io/limits.ts';
import { hashFile } from '../db/content-hash.ts';
import { admitFairly, countByOwner } from '../util/fair-share.ts';
import type { ShareDecision } from '../util/fair-share.ts';
import { ANALYSIS_QUEUE, INCOMING_DIR, errorOf, errorResult, queueConnection } from './analysis-queue-protocol.ts';
import type { AnalysisJobData, AnalysisJobResult, QueueClient } from './analysis-queue-protocol.ts';
import { statIfAny } from '../util/stat-if-any.ts';

interface Waiter {
  owner: string;
  /** On the queue (not still being copied in). */
  queued: boolean;
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
  private closed = false;
  private readonly queue: Queue<AnalysisJobData, AnalysisJobResult>;
  private readonly events: QueueEvents;
  private readonly clients: QueueClient[];
  private readonly options: AnalysisQueueOptions;

  private constructor(
    queue: Queue<AnalysisJobData, AnalysisJobResult>,
    events: QueueEvents,
    clients: QueueClient[],
    options: AnalysisQueueOptions,
  ) {
    this.queue = queue;
    this.events = events;
    this.clients = clients;
    this.options = options;
    events.on('active', ({ jobId }) => this.taken(jobId));
    events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, returnvalue as unknown as AnalysisJobResult));
    events.on('failed', ({ jobId, failedReason }) =>
      this.settle(jobId, {
        ok: false,
        name: 'AudioInputError',
        code: 'analysis-failed',
        message: `The analyzer failed on this file (${failedReason}).`,
      }),
    );
    // Let go by a process (this one or another) making room for a server under its share.
    events.on('removed', ({ jobId }) => this.settle(jobId, errorResult(displacedByShare())));
  }

  static async open(url: string, options: AnalysisQueueOptions): Promise<AnalysisQueue> {
    const clients = [queueConnection(url), queueConnection(url)];
    const queue = new Queue<AnalysisJobData, AnalysisJobResult>(ANALYSIS_QUEUE, { connection: clients[0]! });
    const events = new QueueEvents(ANALYSIS_QUEUE, { connection: clients[1]! });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    await sweepIncoming(options.tracksDir, waitLimitMs(options));
    return new AnalysisQueue(queue, events, clients, options);
  }

  /**
   * Admits the song under the same fair shares as the pool, counted over the whole queue (every gateway's waiting
   * songs): a server under its share gets in even when every place is taken, the heaviest server's newest song
   * making room. Two gateways admitting at the same moment may go one place over.
   */
  async analyze(file: string, options: AnalyzeOptions = {}): Promise<TrackAnalysis> {
    if (this.closed) throw new Error('the analysis queue is closed');
    const owner = options.owner ?? '';
    const listed = await this.queue.getJobs(['waiting', 'prioritized']);
    const held = this.waitingByOwner(listed);
    const mine = held.get(owner) ?? 0;
    const decision = admitFairly(held, owner, WAITING_LIMITS);
    if (!decision.admit) throw refusedByShare(decision, mine);
    const jobId = randomUUID();
    const done = new Promise<TrackAnalysis>((resolve, reject) => {
      this.waiters.set(jobId, {
        owner,
        queued: false,
        ...(options.onStatus ? { onStatus: options.onStatus } : {}),
        resolve,
        reject,
      });
    });
    // Settled by an event (or let go) while the lines below still wait: not an unhandled rejection.
    done.catch(() => undefined);
    if (decision.displace !== undefined) await this.letGo(decision.displace, listed, decision);
    return this.run(file, jobId, mine + 1, options, done);
  }

  /**
   * Each owner's waiting songs: this process's as it knows them (admitted and not taken by a worker yet), the other
   * gateways' as the queue lists them.
   */
  private waitingByOwner(listed: readonly Job[]): Map<string, number> {
    const others = listed.filter((j) => !this.waiters.has(j.id!)).map((j) => (j.data as AnalysisJobData).owner);
    const mine = [...this.waiters.values()].filter((w) => w.startedAt === undefined).map((w) => w.owner);
    return countByOwner([...others, ...mine]);
  }

  /**
   * Lets the owner's newest waiting song go: this process's own (one still being copied in is never queued), or
   * another gateway's, taken off the queue (its gateway hears it from the queue's events). One a worker took
   * meanwhile stays, and the next newest goes.
   */
  private async letGo(owner: string, listed: readonly Job[], decision: ShareDecision): Promise<void> {
    const local = [...this.waiters]
      .filter(([, w]) => w.owner === owner && w.startedAt === undefined)
      .map(([id, w]) => ({ id, queued: w.queued }))
      .reverse();
    const remote = [...listed]
      .filter((j) => (j.data as AnalysisJobData).owner === owner)
      .sort((a, b) => b.timestamp - a.timestamp)
      .map((j) => ({ id: j.id!, queued: true }));
    for (const job of local.length > 0 ? local : remote) {
      if (job.queued && (await this.queue.remove(job.id)) !== 1) continue;
      this.settle(job.id, errorResult(displacedByShare(decision)));
      return;
    }
  }

  waiting(): number {
    let n = 0;
    for (const w of this.waiters.values()) if (w.startedAt === undefined) n++;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.waiters.keys()])
      this.settle(id, { ok: false, name: 'Error', code: 'closed', message: 'the analysis queue was closed' });
    await this.events.close();
    await this.queue.close();
    await Promise.all(this.clients.map((c) => (c.isOpen ? c.close() : undefined)));
  }

  /**
   * Copies the song into `incoming/`, queues it (unless it was let go or closed meanwhile) and waits for its result;
   * the copy is removed whatever happens.
   */
  private async run(
    source: string,
    jobId: string,
    priority: number,
    options: AnalyzeOptions,
    done: Promise<TrackAnalysis>,
  ): Promise<TrackAnalysis> {
    const relative = path.join(INCOMING_DIR, jobId + path.extname(source).toLowerCase());
    const file = path.join(this.options.tracksDir, relative);
    try {
      const contentHash = options.contentHash ?? (await hashFile(source));
      await copyWhole(source, file);
      const waiter = this.waiters.get(jobId);
      if (!waiter) return await done;
      await this.queue.add(
        'analyze',
        { file: relative, contentHash, owner: waiter.owner },
        { jobId, priority, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } },
      );
      waiter.queued = true;
      this.arm(jobId);
      const ahead = Math.max(0, (await this.queue.getJobCountByTypes('waiting', 'prioritized')) - 1);
      // Unless a worker has taken it meanwhile.
      if (this.waiters.get(jobId)?.startedAt === undefined) options.onStatus?.({ state: 'queued', ahead });
      return await done;
    } finally {
      // Failed before its result came (hashing, copying, queueing): its place is given back.
      clearTimeout(this.waiters.get(jobId)?.timer);
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
      // Best effort: a job a worker holds cannot be removed, and the member is told below either way.
      void this.queue.remove(jobId).catch(() => undefined);
      this.settle(jobId, {
        ok: false,
        name: 'AudioInputError',
        code: 'analysis-failed',
        message: `No analysis worker finished this song within ${Math.round(limit / 60_000)} minutes; tell the bot owner (are the workers running?).`,
      });
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
    throw new AudioInputError(
      'analysis-failed',
      `The song could not be handed to the analyser (${code ?? 'I/O error'}); tell the bot owner.`,
    );
  }
}

/** What a killed gateway left in `incoming/`: files older than any job may wait. */
async function sweepIncoming(tracksDir: string, olderThanMs: number): Promise<void> {
  const dir = path.join(tracksDir, INCOMING_DIR);
  // No incoming folder yet: nothing was left in it.
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const info = await statIfAny(file);
    if (info && Date.now() - info.mtimeMs > olderThanMs) await rm(file, { force: true });
  }
}
