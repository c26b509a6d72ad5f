// CPU of a process tree, read from /proc (Linux): the process, its descendants, and what their reaped children used.
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** Niceness (of the process's main thread, or of the thread read). */
  nice: number;
  /** utime + stime of the process (all its threads), in clock ticks. */
  ticks: number;
  /** cutime + cstime: what its reaped children used. */
  childTicks: number;
}

function readStat(pid: number, path = `/proc/${pid}/stat`): ProcStat | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      ppid: Number(f[1]),
      nice: Number(f[16]),
      ticks: Number(f[11]) + Number(f[12]),
      childTicks: Number(f[13]) + Number(f[14]),
    };
  } catch {
    // No /proc (not Linux), or the process has ended: nothing to count.
    return undefined;
  }
}

/** Every live descendant of `root`, found through the ppid chains in /proc. */
export function descendants(root: number): number[] {
  const byParent = new Map<number, number[]>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    // No /proc (not Linux): no descendants to find.
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s.pid]);
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const c of byParent.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

export interface TreeCpu {
  /** The root process itself, all threads. */
  rootSec: number;
  /**
   * Its descendants: the live ones' own time, plus what the reaped ones left in their parent's cutime/cstime (the root's,
   * or a live descendant's: decoders started by the spawner are its children).
   */
  childSec: number;
}

/** Undefined where there is no /proc (not Linux). */
export function treeCpu(root = process.pid): TreeCpu | undefined {
  // A consistent snapshot: a child reaped during the scan would be in neither the live list nor the reaped time read
  // before it, so scan again until the reaped time is the same on both sides.
  for (let attempt = 0; ; attempt++) {
    const before = readStat(root);
    if (!before) return undefined;
    const live = descendants(root)
      .map((pid) => readStat(pid))
      .filter((s) => s !== undefined);
    const after = readStat(root);
    if (!after) return undefined;
    if (before.childTicks === after.childTicks || attempt === 5) {
      const childTicks = after.childTicks + live.reduce((s, d) => s + d.ticks + d.childTicks, 0);
      return { rootSec: after.ticks / CLK_TCK, childSec: childTicks / CLK_TCK };
    }
  }
}

/**
 * The tree's CPU (s) by niceness: each thread of the root at its own, each descendant at its main thread's, and what a
 * process's reaped children used at that process's (a thread's decoders are reaped by the spawner it started, which
 * runs at its niceness). Undefined where there is no /proc.
 */
export function treeCpuByNice(root = process.pid): Map<number, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${root}/task`);
  } catch {
    // No /proc (not Linux): said by returning undefined, as documented.
    return undefined;
  }
  const byNice = new Map<number, number>();
  const add = (nice: number, ticks: number): void => void byNice.set(nice, (byNice.get(nice) ?? 0) + ticks / CLK_TCK);
  const main = readStat(root);
  if (!main) return undefined;
  add(main.nice, main.childTicks);
  for (const tid of tids) {
    const t = readStat(root, `/proc/${root}/task/${tid}/stat`);
    if (t) add(t.nice, t.ticks);
  }
  for (const pid of descendants(root)) {
    const d = readStat(pid);
    if (d) add(d.nice, d.ticks + d.childTicks);
  }
  return byNice;
}
