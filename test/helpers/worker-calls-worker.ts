// The worker side of test/worker-calls.test.ts: a few handlers served with serve().
import { AudioInputError } from '../../src/audio/io/audio-input-error.ts';
import { serve, transferring } from '../../src/util/worker-calls.ts';
import type { TestCalls } from '../worker-calls.test.ts';

let cancelled = 0;

serve<TestCalls>({
  double: (n) => n * 2,
  later: async (n) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return n + 1;
  },
  refuse: (message) => {
    throw new AudioInputError('corrupt', message);
  },
  wait: (ms, signal) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => resolve(ms), ms);
      signal.addEventListener('abort', () => {
        cancelled++;
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    }),
  cancelledSoFar: () => cancelled,
  samples: (n) => {
    const pcm = new Float32Array(n).fill(0.5);
    return transferring(pcm, [pcm.buffer]);
  },
  exit: (code) => process.exit(code),
  crash: (message) => {
    throw new Error(message);
  },
});
