// CPU and memory of a process tree, read from /proc (Linux): the voice benchmark measures its child from outside, so
// that the reading never runs on the event loop being measured.
import { readFileSync } from 'node:fs';
import { descendants } from '../src/voice/process-cpu.ts';

export { descendants, treeCpu } from '../src/voice/process-cpu.ts';

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
