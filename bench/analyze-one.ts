// Child process of the analysis benchmark: analyses one file on this thread and reports time and peak memory.
import { readFileSync } from 'node:fs';
import { analyzePcm } from '../src/audio/analysis/analyze-pcm.ts';
import { decodeForAnalysis } from '../src/audio/analysis/decode-for-analysis.ts';
import { loadEssentia } from '../src/audio/analysis/essentia-runtime.ts';
import { audioLimitsFromEnv } from '../src/audio/io/limits.ts';

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1e6;
}

/** CPU seconds of the children waited for (ffmpeg's decode), from /proc/self/stat (cutime + cstime, in clock ticks). */
function childCpuSec(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const file = process.argv[2]!;
const essentia = loadEssentia();
const started = performance.now();
const cpuStart = process.cpuUsage();
try {
  const input = await decodeForAnalysis(file, audioLimitsFromEnv());
  const decodedAt = performance.now();
  const analysis = analyzePcm(input, essentia);
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(
    JSON.stringify({
      ok: true,
      analysis,
      wallSec: (performance.now() - started) / 1000,
      decodeSec: (decodedAt - started) / 1000,
      cpuSec: (cpu.user + cpu.system) / 1e6,
      childCpuSec: childCpuSec(),
      peakRssMb: peakRssMb(),
    }),
  );
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, error: (err as Error).message, peakRssMb: peakRssMb() }));
}
