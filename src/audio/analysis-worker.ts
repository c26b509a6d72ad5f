import { parentPort } from 'node:worker_threads';
import { AudioInputError } from './audio-input-error.ts';
import { analyzePcm } from './analyze-pcm.ts';
import { decodeForAnalysis } from './decode-for-analysis.ts';
import { loadEssentia } from './essentia-runtime.ts';
import type { AnalysisJob, AnalysisReply } from './analysis-protocol.ts';

if (!parentPort) throw new Error('analysis-worker.ts must run as a worker thread');
const port = parentPort;

port.on('message', async (job: AnalysisJob) => {
  let reply: AnalysisReply;
  try {
    const input = await decodeForAnalysis(job.file, job.limits, job.ffmpeg);
    const analysis = analyzePcm(input, loadEssentia());
    reply = { id: job.id, ok: true, analysis };
  } catch (err) {
    const code = err instanceof AudioInputError ? err.code : 'analysis-failed';
    const message = err instanceof Error ? err.message : String(err);
    reply = { id: job.id, ok: false, code, message };
  }
  port.postMessage(reply);
});
