// CPU and memory of a process tree, read from /proc (Linux): the voice benchmark measures its child from outside, so
// that the reading never runs on the event loop being measured.
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
  for (const name of readdirSync('/proc')) {
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
  /** Its descendants: the live ones' own time plus what the reaped ones left in the root's cutime/cstime. */
  childSec: number;
}

export function treeCpu(root: number): TreeCpu {
  // A consistent snapshot: a child reaped during the scan would be in neither the live list nor the reaped time read
  // before it, so scan again until the reaped time is the same on both sides.
  for (let attempt = 0; ; attempt++) {
    const before = readStat(root);
    const live = descendants(root).reduce((s, pid) => s + (readStat(pid)?.ticks ?? 0), 0);
    const after = readStat(root);
    if (!before || !after) return { rootSec: 0, childSec: 0 };
    if (before.childTicks === after.childTicks || attempt === 5) return { rootSec: after.ticks / CLK_TCK, childSec: (after.childTicks + live) / CLK_TCK };
  }
}

/** Busy and total clock ticks of the whole machine (all cores) since boot. */
export function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3]! - (cpu[4] ?? 0), total };
}

function kbField(file: string, field: string): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface TreeMemory {
  rootRssKb: number;
  /** Sum of VmRSS over the tree: shared pages (ffmpeg's code, libraries) counted once per process. */
  rssKb: number;
  /** Sum of PSS: shared pages split among the processes sharing them. */
  pssKb: number;
  processes: number;
}

export function treeMemory(root: number, withPss = true): TreeMemory {
  const pids = [root, ...descendants(root)];
  const rss = pids.map((pid) => kbField(`/proc/${pid}/status`, 'VmRSS'));
  return {
    rootRssKb: rss[0]!,
    rssKb: rss.reduce((a, b) => a + b, 0),
    pssKb: withPss ? pids.reduce((s, pid) => s + kbField(`/proc/${pid}/smaps_rollup`, 'Pss'), 0) : 0,
    processes: pids.length,
  };
}
