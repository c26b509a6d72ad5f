import { parentPort, workerData } from 'node:worker_threads';
import { niceThisThread } from '../../util/thread-nice.ts';
import { AudioInputError } from '../io/audio-input-error.ts';
import { analyzePcm } from './analyze-pcm.ts';
import { decodeForAnalysis } from './decode-for-analysis.ts';
import { loadEssentia } from './essentia-runtime.ts';
import type { AnalysisJob, AnalysisReply } from './analysis-protocol.ts';

if (!parentPort) throw new Error('analysis-worker.ts must run as a worker thread');
const port = parentPort;
// Its ffmpeg decoders, started from this thread, inherit the niceness.
niceThisThread(((workerData ?? {}) as { nice?: number }).nice ?? 0);

port.on('message', async (job: AnalysisJob) => {
  let reply: AnalysisReply;
  try {
    const input = await decodeForAnalysis(job.file, job.limits, job.ffmpeg, job.media);
    const analysis = analyzePcm(input, loadEssentia());
    reply = { id: job.id, ok: true, analysis };
  } catch (err) {
    if (err instanceof AudioInputError) {
      reply = { id: job.id, ok: false, code: err.code, message: err.message };
    } else {
      // A bug, not the file's fault: the details go to the log, not to the member who sent the file.
      console.error('[mini-dj] analysis failed:', err);
      reply = { id: job.id, ok: false, code: 'analysis-failed', message: 'Mini-DJ could not analyse this file because of an internal error (logged for the bot\'s owner).' };
    }
  }
  port.postMessage(reply);
});
