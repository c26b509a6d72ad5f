// CPU of a process tree, read from /proc (Linux): the process, its descendants, and what their reaped children used.
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime of the process (all its threads), in clock ticks. */
  ticks: number;
  /** cutime + cstime: what its reaped children used. */
  childTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) };
  } catch {
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
    const live = descendants(root).map(readStat).filter((s) => s !== undefined);
    const after = readStat(root);
    if (!after) return undefined;
    if (before.childTicks === after.childTicks || attempt === 5) {
      const childTicks = after.childTicks + live.reduce((s, d) => s + d.ticks + d.childTicks, 0);
      return { rootSec: after.ticks / CLK_TCK, childSec: childTicks / CLK_TCK };
    }
  }
}
