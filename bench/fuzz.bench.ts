/**
 * The whole fuzz corpus (242 files: 22 hostile, 10 base containers × 22 mutations) through `minidj analyze --json`,
 * in 4 invocations: prints the outcome counts by code and fails (exit 1) on a request to the loopback server, an opened
 * canary, a missing or malformed line, an unknown code, a killed or crashed run. `npm run bench:fuzz [-- --seed N]`.
 */
import { parseArgs } from 'node:util';
import { makeTempDir } from '../test/helpers/ffmpeg-fixtures.ts';
import { writeFuzzCorpus } from '../test/helpers/fuzz-corpus.ts';
import { countByCode, runFuzz } from '../test/helpers/fuzz-run.ts';
import { countingServer, fifoCanary } from '../test/helpers/hostile-media.ts';
import { ffmpegPath } from '../src/audio/io/ffmpeg-path.ts';

const KNOWN = new Set(['ok', 'not-found', 'too-large', 'too-long', 'too-short', 'no-audio', 'corrupt', 'truncated', 'silent', 'decoder-crashed', 'decoder-timeout', 'analysis-failed']);
const { values } = parseArgs({ options: { seed: { type: 'string', default: '7' } } });

const tmp = makeTempDir('minidj-fuzz-');
const server = await countingServer();
const canary = fifoCanary(tmp.dir, 'canary.wav');
try {
  const cases = writeFuzzCorpus(tmp.dir, { url: server.url, canary: canary.file }, Number(values.seed));
  const run = await runFuzz(cases, 4, 600_000);
  const problems = [
    ...server.requests.map((r) => `request to the loopback server: ${r}`),
    ...(canary.opened() > 0 ? [`the canary was opened ${canary.opened()} times`] : []),
    ...run.statuses.flatMap((s, i) => (s === 0 || s === 1 ? [] : [`invocation ${i} ended with ${s ?? run.signals[i]}`])),
    ...run.badLines.map((l) => `malformed line: ${l.slice(0, 120)}`),
    ...run.outcomes.filter((o) => !KNOWN.has(o.code)).map((o) => `${o.mutation}: ${o.code}`),
    ...run.outcomes.filter((o) => o.error?.includes(tmp.dir)).map((o) => `${o.mutation}: a server path in "${o.error}"`),
  ];
  console.log(`ffmpeg: ${ffmpegPath()}`);
  console.log(`fuzz: ${cases.length} files in ${run.seconds.toFixed(1)} s (4 invocations), by outcome: ${JSON.stringify(countByCode(run.outcomes))}`);
  console.log(`loopback requests: ${server.requests.length}; canary opened: ${canary.opened()}`);
  for (const p of problems) console.log(`PROBLEM ${p}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
} finally {
  canary.stop();
  await server.close();
  tmp.cleanup();
}
