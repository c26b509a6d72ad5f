import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What the watcher saw of the ffmpeg and ffprobe processes that read one file. */
export interface FileMemory {
  /** Largest peak resident set (VmHWM) of any of them, in bytes. */
  peakBytes: number;
  processes: number;
  /** Which program each was: 'ffmpeg' or 'ffprobe'. */
  programs: string[];
  /** The address-space and CPU-time limits each ran under ("unlimited" or a number), as /proc/PID/limits says. */
  limits: { addressSpace: string; cpuSec: string }[];
}

const PROGRAMS = new Set(['ffmpeg', 'ffprobe']);

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function limitOf(limits: string, name: string): string {
  return new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(limits)?.[1] ?? '?';
}

/**
 * Polls /proc every `intervalMs` for ffmpeg and ffprobe processes and keeps, per input file (their `file:` argument),
 * the largest peak RSS seen and their limits. VmHWM only grows, so a process is measured to its last poll; one that
 * lives less than a poll may be missed (none of interest does: a memory bomb takes seconds).
 */
export function watchFfmpegMemory(intervalMs = 10): {
  byFile: Map<string, FileMemory>;
  stop: () => Map<string, FileMemory>;
} {
  const byFile = new Map<string, FileMemory>();
  // Per pid, the file it reads (null: not an ffmpeg on a file) and when it was first seen: a process between fork and
  // exec (and prlimit before it execs ffmpeg) shows another command line, so one is looked at again for 100 ms.
  const seen = new Map<number, { file: string | null; since: number }>();
  const poll = (): void => {
    const now = Date.now();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      let known = seen.get(pid);
      if (!known || (known.file === null && now - known.since < 100)) {
        const argv = read(`/proc/${pid}/cmdline`)?.split('\0') ?? [];
        const input = argv.find((a) => a.startsWith('file:'));
        const file = PROGRAMS.has(path.basename(argv[0] ?? '')) && input ? input.slice('file:'.length) : null;
        known = { file, since: known?.since ?? now };
        seen.set(pid, known);
        if (file) {
          const limits = read(`/proc/${pid}/limits`) ?? '';
          const entry = byFile.get(file) ?? { peakBytes: 0, processes: 0, programs: [], limits: [] };
          entry.processes++;
          entry.programs.push(path.basename(argv[0]!));
          entry.limits.push({
            addressSpace: limitOf(limits, 'Max address space'),
            cpuSec: limitOf(limits, 'Max cpu time'),
          });
          byFile.set(file, entry);
        }
      }
      const file = known.file;
      if (!file) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '');
      const entry = byFile.get(file)!;
      if (hwm) entry.peakBytes = Math.max(entry.peakBytes, Number(hwm[1]) * 1024);
    }
  };
  const timer = setInterval(poll, intervalMs);
  return {
    byFile,
    stop: () => {
      clearInterval(timer);
      poll();
      return byFile;
    },
  };
}
