// Counts the decoder processes (ffmpeg, ffprobe) this process starts, directly or through its spawner processes, by
// polling /proc/<pid>/task/<tid>/children every few milliseconds (a few small reads: no measurable CPU). A process
// that lives less than the poll interval can be missed; ffmpeg's start alone takes longer than that.
import { readdirSync, readFileSync } from 'node:fs';

const POLL_MS = 5;

function children(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

/**
 * Starts counting now; `count()` is how many decoders (ffmpeg, ffprobe, directly or under prlimit) have been seen since.
 * A spawner's child is looked at until it has exec'd one (it is a copy of the spawner until then).
 */
export function countStarts(): { count(): number; stop(): void } {
  const decoders = new Set<number>();
  const spawners = new Set<number>();
  const poll = (): void => {
    const candidates = [...children(process.pid), ...[...spawners].flatMap(children)];
    for (const pid of candidates) {
      if (spawners.has(pid) || decoders.has(pid)) continue;
      const cmd = cmdline(pid);
      if (/ffmpeg|ffprobe|prlimit/.test(cmd)) decoders.add(pid);
      else if (cmd.includes('spawner-process') && children(process.pid).includes(pid)) spawners.add(pid);
    }
  };
  const timer = setInterval(poll, POLL_MS);
  timer.unref();
  return { count: () => (poll(), decoders.size), stop: () => clearInterval(timer) };
}
