// `npm run worker`: an analysis worker for the Redis queue (README → Running at scale). Runs on any machine that has
// the project, ffmpeg, MINIDJ_REDIS and the shared tracks directory (MINIDJ_TRACKS_DIR).
import { availableParallelism } from 'node:os';
import { DEFAULT_TRACKS_DIR } from '../db/track-files.ts';
import { installLastResort } from '../ops/last-resort.ts';
import { createLogger } from '../ops/log.ts';
import { configProblems, setting } from '../util/config.ts';
import { homePath } from '../util/minidj-home.ts';
import { startAnalysisWorker } from './analysis-queue-consumer.ts';

const say = (line: string): boolean => process.stdout.write(`[analysis-worker ${process.pid}] ${line}\n`);
const settingProblems = configProblems();
if (settingProblems.length) {
  process.stderr.write(`The analysis worker cannot start:\n${settingProblems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
const url = setting('MINIDJ_REDIS');
if (!url) {
  process.stderr.write(
    'The analysis worker needs MINIDJ_REDIS (redis://host:port), the queue the bot puts its analysis jobs on.\n',
  );
  process.exit(1);
}
const tracksDir = homePath(setting('MINIDJ_TRACKS_DIR'), DEFAULT_TRACKS_DIR);
const concurrency = Math.max(1, setting('MINIDJ_ANALYSIS_JOBS') ?? availableParallelism());
const lockMs = setting('MINIDJ_QUEUE_LOCK_MS');

const worker = await startAnalysisWorker({ url, tracksDir, concurrency, ...(lockMs ? { lockMs } : {}), log: say });
say(`ready: ${concurrency} analys${concurrency === 1 ? 'is' : 'es'} at a time, tracks in ${tracksDir}`);

let stopping = false;
function stop(signal: string, exitCode = 0): void {
  if (stopping) return;
  stopping = true;
  say(`${signal}: finishing the jobs in hand`);
  void worker.close().then(
    () => process.exit(exitCode),
    (error: unknown) => {
      say(`${signal}: the worker did not close cleanly: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
// A job another worker would take again after its lock lapses is not worth ending the others in hand for.
installLastResort({
  log: createLogger(),
  running: () => !stopping,
  stop: (reason) => {
    // Jobs in hand may never finish after such an error: their locks lapse and other workers take them.
    setTimeout(() => process.exit(1), 30_000).unref();
    stop(`uncaught error: ${reason}`, 1);
  },
  carriesOn: 'the worker takes jobs on',
});
