import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { AudioInputError } from '../src/audio/io/audio-input-error.ts';
import type { AudioInputErrorCode } from '../src/audio/io/audio-input-error.ts';
import { UserFacingError } from '../src/util/user-facing-error.ts';
import { WorkerCalls } from '../src/util/worker-calls.ts';
import type { WorkerCallsOptions } from '../src/util/worker-calls.ts';

export type TestCalls = {
  double: (n: number) => number;
  later: (n: number) => number;
  refuse: (message: string) => never;
  wait: (ms: number) => number;
  cancelledSoFar: (none: null) => number;
  samples: (n: number) => Float32Array;
  exit: (code: number) => never;
  crash: (message: string) => never;
};

const made: WorkerCalls<TestCalls>[] = [];
function start(options: Partial<WorkerCallsOptions> = {}): WorkerCalls<TestCalls> {
  const worker = new Worker(new URL('./helpers/worker-calls-worker.ts', import.meta.url));
  const calls = new WorkerCalls<TestCalls>(worker, {
    exited: (code) => new Error(`the test worker stopped (exit ${code})`),
    ...options,
  });
  made.push(calls);
  return calls;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((c) => c.terminate(new Error('test over'))));
});

describe('WorkerCalls and serve', () => {
  it('answers each call with its own result, at once or later, in any order', async () => {
    const calls = start();
    const [slow, fast, doubled] = await Promise.all([
      calls.call('later', 1),
      calls.call('double', 21),
      calls.call('double', 4),
    ]);
    expect([slow, fast, doubled]).toEqual([2, 42, 8]);
    expect(calls.awaiting).toBe(0);
  });

  it('hands a transferred result over whole', async () => {
    const pcm = await start().call('samples', 960);
    expect(pcm).toBeInstanceOf(Float32Array);
    expect(pcm.length).toBe(960);
    expect(pcm[959]).toBe(0.5);
  });

  it('brings a user-facing error back with its name, code and message, as its own class when asked', async () => {
    const plain = await start()
      .call('refuse', 'The file is damaged.')
      .catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(UserFacingError);
    expect(plain).toMatchObject({ name: 'AudioInputError', code: 'corrupt', message: 'The file is damaged.' });

    const revive = {
      AudioInputError: (message: string, code: string | undefined) =>
        new AudioInputError(code as AudioInputErrorCode, message),
    };
    const own = await start({ revive })
      .call('refuse', 'The file is damaged.')
      .catch((e: unknown) => e);
    expect(own).toBeInstanceOf(AudioInputError);
    expect(own).toMatchObject({ name: 'AudioInputError', code: 'corrupt', message: 'The file is damaged.' });
  });

  it('cancels a call: it rejects at once, the worker sees the abort, and the others are still answered', async () => {
    class Cancelled extends Error {}
    const calls = start({ cancelled: () => new Cancelled('given up') });
    const abort = new AbortController();
    const waiting = calls.call('wait', 60_000, { signal: abort.signal });
    const other = calls.call('wait', 20);
    abort.abort();
    await expect(waiting).rejects.toBeInstanceOf(Cancelled);
    expect(await other).toBe(20);
    expect(await calls.call('cancelledSoFar', null)).toBe(1);
    await expect(calls.call('double', 1, { signal: abort.signal })).rejects.toBeInstanceOf(Cancelled);
  });

  it('fails every awaiting call when the worker exits, and the calls after it', async () => {
    const lost: Error[] = [];
    const calls = start({ onLost: (e) => lost.push(e) });
    const waiting = [calls.call('wait', 60_000), calls.call('wait', 60_000)];
    void calls.call('exit', 3).catch(() => undefined);
    const settled = await Promise.allSettled(waiting);
    expect(settled.map((s) => s.status === 'rejected' && (s.reason as Error).message)).toEqual([
      'the test worker stopped (exit 3)',
      'the test worker stopped (exit 3)',
    ]);
    await expect(calls.call('double', 1)).rejects.toThrow('the test worker stopped (exit 3)');
    expect(lost.map((e) => e.message)).toEqual(['the test worker stopped (exit 3)']);
    expect(calls.lost?.message).toBe('the test worker stopped (exit 3)');
  });

  it('fails every awaiting call with what crashed the worker (a notification that throws)', async () => {
    const calls = start({ crashed: (e) => new Error(`the test worker crashed (${e.message})`) });
    const waiting = calls.call('wait', 60_000);
    calls.notify('crash', 'boom');
    await expect(waiting).rejects.toThrow('the test worker crashed (boom)');
  });

  it('fails the awaiting calls with why when it is terminated, and tells no loss', async () => {
    const lost: Error[] = [];
    const calls = start({ onLost: (e) => lost.push(e) });
    const waiting = expect(calls.call('wait', 60_000)).rejects.toThrow('closed');
    await calls.terminate(new Error('closed'));
    await waiting;
    expect(lost).toEqual([]);
  });
});
