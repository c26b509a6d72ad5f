import { workerData } from 'node:worker_threads';
import { niceThisThread } from '../../util/thread-nice.ts';
import { serve } from '../../util/worker-calls.ts';
import { AudioInputError } from '../io/audio-input-error.ts';
import { analyzePcm } from './analyze-pcm.ts';
import { decodeForAnalysis } from './decode-for-analysis.ts';
import { loadEssentia } from './essentia-runtime.ts';
import type { AnalysisCalls } from './analysis-protocol.ts';

// Its ffmpeg decoders, started from this thread, inherit the niceness.
niceThisThread(((workerData ?? {}) as { nice?: number }).nice ?? 0);

serve<AnalysisCalls>({
  analyze: async (job) => {
    try {
      const input = await decodeForAnalysis(job.file, job.limits, job.ffmpeg, job.media);
      return analyzePcm(input, loadEssentia());
    } catch (err) {
      if (err instanceof AudioInputError) throw err;
      // A bug, not the file's fault: the details go to the log, not to the member who sent the file.
      console.error('[mini-dj] analysis failed:', err);
      throw new AudioInputError(
        'analysis-failed',
        "Mini-DJ could not analyse this file because of an internal error (logged for the bot's owner).",
      );
    }
  },
});
