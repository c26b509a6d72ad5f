/**
 * Optional baseline: Debian's aubio-tools (`apt-get install aubio-tools`), used to
 * put our analyser's numbers next to an established beat tracker. Everything
 * returns undefined when `aubio` is not on PATH.
 */
import { existsSync } from 'node:fs';
import { bpmFromBeats, parseAubioBeats, parseAubioTempo } from './aubio-output.ts';
import { ProcessFailure, runProcess } from './run-process.ts';
import { withTempWav } from './temp-wav.ts';

export interface AubioAnalysis {
  /** Tempo as `aubio tempo` prints it (the mean of its per-beat tempi); undefined for "unknown bpm". */
  bpm: number | undefined;
  /** aubio's own flag: the tempo rests on fewer than 10 beats. */
  uncertain: boolean;
  /** Beat times in seconds from `aubio beat`. */
  beats: number[];
  /** 60 / median inter-beat interval of `beats`; steadier than `bpm` when a few beats stray. */
  medianIbiBpm: number | undefined;
  /** True when aubio could not open the file and it was decoded to a temporary WAV first. */
  decodedToWav: boolean;
}

export interface AubioOptions {
  /** Per aubio (or ffmpeg) run; the child is killed after it. */
  timeoutMs?: number;
  command?: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

let available: Promise<boolean> | undefined;

export function isAubioAvailable(command = 'aubio'): Promise<boolean> {
  if (command !== 'aubio') return probe(command);
  available ??= probe(command);
  return available;
}

async function probe(command: string): Promise<boolean> {
  try {
    await runProcess(command, ['-V'], 10_000);
    return true;
  } catch {
    // Not installed (or not runnable): callers leave the aubio baseline out.
    return false;
  }
}

async function analyse(
  command: string,
  file: string,
  timeoutMs: number,
  decodedToWav: boolean,
): Promise<AubioAnalysis> {
  const tempo = parseAubioTempo((await runProcess(command, ['tempo', '-T', 'seconds', file], timeoutMs)).stdout);
  const beats = parseAubioBeats((await runProcess(command, ['beat', '-T', 'seconds', file], timeoutMs)).stdout);
  return { ...tempo, beats, medianIbiBpm: bpmFromBeats(beats), decodedToWav };
}

/** aubio reports an unreadable input as "AUBIO ERROR: source_…" (e.g. a build without mp3/flac support). */
function cannotOpen(err: unknown): boolean {
  return err instanceof ProcessFailure && !err.timedOut && err.stderr.includes('AUBIO ERROR: source');
}

/** Runs `aubio tempo` and `aubio beat` on a file; undefined when aubio is not installed. */
export async function runAubio(file: string, options: AubioOptions = {}): Promise<AubioAnalysis | undefined> {
  const command = options.command ?? 'aubio';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(await isAubioAvailable(command))) return undefined;
  if (!existsSync(file)) throw new Error(`no such audio file: ${file}`);
  try {
    return await analyse(command, file, timeoutMs, false);
  } catch (err) {
    if (!cannotOpen(err)) throw err;
    return withTempWav(file, timeoutMs, (wav) => analyse(command, wav, timeoutMs, true));
  }
}
