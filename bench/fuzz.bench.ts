/**
 * The whole fuzz corpus (22 hostile files, 10 base containers × 21 mutations, and the media bombs of
 * test/helpers/fuzz-media-bombs.ts) through `minidj analyze --json`, in 4 invocations, every ffmpeg and ffprobe watched
 * from /proc: prints the outcome counts by code, the peak memory per file (largest first, and every bomb's), and fails
 * (exit 1) on a request to the loopback server, an opened canary, a missing or malformed line, an unknown code, a killed
 * or crashed run, an ffmpeg that hung or crashed, or one past the memory limit. `npm run bench:fuzz [-- --seed N]`.
 */
import { parseArgs } from 'node:util';
import { makeTempDir } from '../test/helpers/ffmpeg-fixtures.ts';
import { watchFfmpegMemory } from '../test/helpers/child-memory.ts';
import { writeFuzzCorpus } from '../test/helpers/fuzz-corpus.ts';
import { countByCode, runFuzz } from '../test/helpers/fuzz-run.ts';
import type { FuzzOutcome } from '../test/helpers/fuzz-run.ts';
import { countingServer, fifoCanary } from '../test/helpers/hostile-media.ts';
import { ffmpegLimitsFromEnv } from '../src/audio/io/ffmpeg-limits.ts';
import { ffmpegPath } from '../src/audio/io/ffmpeg-path.ts';

const KNOWN = new Set([
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
]);
const { values } = parseArgs({ options: { seed: { type: 'string', default: '7' } } });
const MB = 1024 * 1024;
const limit = ffmpegLimitsFromEnv().memoryBytes;

const tmp = makeTempDir('minidj-fuzz-');
const server = await countingServer();
const canary = fifoCanary(tmp.dir, 'canary.wav');
try {
  const cases = writeFuzzCorpus(tmp.dir, { url: server.url, canary: canary.file }, Number(values.seed), 1, true);
  const watch = watchFfmpegMemory();
  const run = await runFuzz(cases, 4, 600_000);
  const memory = watch.stop();
  const peak = (o: FuzzOutcome): number => memory.get(o.file)?.peakBytes ?? 0;
  const problems = [
    ...server.requests.map((r) => `request to the loopback server: ${r}`),
    ...(canary.opened() > 0 ? [`the canary was opened ${canary.opened()} times`] : []),
    ...run.statuses.flatMap((s, i) =>
      s === 0 || s === 1 ? [] : [`invocation ${i} ended with ${s ?? run.signals[i]}`],
    ),
    ...run.badLines.map((l) => `malformed line: ${l.slice(0, 120)}`),
    ...run.outcomes.filter((o) => !KNOWN.has(o.code)).map((o) => `${o.mutation}: ${o.code}`),
    ...run.outcomes
      .filter((o) => o.code === 'decoder-timeout' || o.code === 'decoder-crashed')
      .map((o) => `${o.mutation}: ${o.code} (${o.error})`),
    ...run.outcomes
      .filter((o) => o.error?.includes(tmp.dir))
      .map((o) => `${o.mutation}: a server path in "${o.error}"`),
    ...run.outcomes
      .filter((o) => peak(o) > limit)
      .map(
        (o) =>
          `${o.mutation}: an ffmpeg reached ${(peak(o) / MB).toFixed(0)} MB, past the ${(limit / MB).toFixed(0)} MB limit`,
      ),
  ];
  const peaks = run.outcomes.map(peak).sort((a, b) => a - b);
  const at = (q: number): string => (peaks[Math.min(peaks.length - 1, Math.floor(q * peaks.length))]! / MB).toFixed(1);
  const line = (o: FuzzOutcome): string =>
    `  ${o.mutation}: ${o.code}, ${(peak(o) / MB).toFixed(1)} MB${o.error ? ` — ${o.error.slice(0, 110)}` : ''}`;
  console.log(
    `ffmpeg: ${ffmpegPath()}; limits per ffmpeg: ${(limit / MB).toFixed(0)} MB of address space, ${ffmpegLimitsFromEnv().cpuSec} CPU-s`,
  );
  console.log(
    `fuzz: ${cases.length} files in ${run.seconds.toFixed(1)} s (4 invocations), by outcome: ${JSON.stringify(countByCode(run.outcomes))}`,
  );
  console.log(`loopback requests: ${server.requests.length}; canary opened: ${canary.opened()}`);
  console.log(
    `peak RSS of the ffmpeg/ffprobe reading a file: median ${at(0.5)} MB, p95 ${at(0.95)} MB, max ${at(1)} MB (${run.outcomes.filter((o) => peak(o) === 0).length} files with no ffmpeg seen: refused from their bytes, or one that lived less than a 10 ms poll)`,
  );
  console.log('largest:');
  for (const o of [...run.outcomes].sort((a, b) => peak(b) - peak(a)).slice(0, 5)) console.log(line(o));
  console.log('media bombs and codecs in containers:');
  for (const o of run.outcomes.filter((x) => x.mutation.startsWith('media/'))) console.log(line(o));
  for (const p of problems) console.log(`PROBLEM ${p}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
} finally {
  canary.stop();
  await server.close();
  tmp.cleanup();
}
