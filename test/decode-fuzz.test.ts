import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { writeFuzzCorpus } from './helpers/fuzz-corpus.ts';
import type { FuzzCase } from './helpers/fuzz-corpus.ts';
import { countByCode, runFuzz } from './helpers/fuzz-run.ts';
import type { Canary, CountingServer } from './helpers/hostile-media.ts';
import { countingServer, fifoCanary } from './helpers/hostile-media.ts';

/** The codes `minidj analyze` documents (README); anything else is a failure we did not phrase for the user. */
const KNOWN = [
  'ok',
  'not-found',
  'too-large',
  'too-long',
  'too-short',
  'no-audio',
  'corrupt',
  'truncated',
  'silent',
  'decoder-crashed',
  'decoder-timeout',
  'analysis-failed',
  'unsupported',
];

let tmp: ReturnType<typeof makeTempDir>;
let server: CountingServer;
let canary: Canary;
let cases: FuzzCase[];

beforeAll(async () => {
  tmp = makeTempDir('minidj-fuzz-');
  server = await countingServer();
  canary = fifoCanary(tmp.dir, 'canary.wav');
  // The hostile files and every 8th mutation (the whole corpus, 242 files: npm run bench:fuzz).
  cases = writeFuzzCorpus(tmp.dir, { url: server.url, canary: canary.file }, 7, 8);
});
afterAll(async () => {
  canary.stop();
  await server.close();
  tmp.cleanup();
});

describe('fuzzed files through minidj analyze', () => {
  it('each gets a result or a clear {file, error, code} line; nothing hangs or crashes, nothing is fetched or opened', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const run = await runFuzz(cases, 2, 90_000);
    console.log(
      `fuzz: ${cases.length} files in ${run.seconds.toFixed(1)} s: ${JSON.stringify(countByCode(run.outcomes))}`,
    );
    expect(server.requests).toEqual([]);
    expect(canary.opened()).toBe(0);
    expect(run.signals).toEqual(run.signals.map(() => null));
    for (const status of run.statuses) expect([0, 1]).toContain(status);
    expect(run.badLines).toEqual([]);
    for (const o of run.outcomes) {
      expect(KNOWN, `${o.mutation}: ${o.code}`).toContain(o.code);
      if (o.error) expect(o.error, o.mutation).not.toContain(tmp.dir);
    }
    // The pen-test's files are refused from their first bytes.
    for (const o of run.outcomes.filter((x) => /^(id3\+(dash|hls|ffconcat)|bare-)/.test(x.mutation)))
      expect(o.code, o.mutation).toBe('corrupt');
  }, 200_000);
});
