// Reads bench/stall-profile.ts's output: for each event-loop gap, the GC pauses in it and its top self-time functions.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const base = process.argv[2] ?? '/tmp/stall-profile';
const prof = JSON.parse(readFileSync(`${base}.cpuprofile`, 'utf8')) as {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
};
const data = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as {
  gaps: { startUs: number; endUs: number; ms: number }[];
  gc: { startUs: number; ms: number; kind: number }[];
  heapUsedMb: number;
};
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const times: number[] = [];
let t = prof.startTime;
for (const d of prof.timeDeltas) times.push((t += d));
const name = (id: number) => {
  const f = byId.get(id)!.callFrame;
  return `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
};
/** The first caller frame from our own code (src/ or bench/), for attributing native and library time. */
const ours = (id: number) => {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const u = byId.get(at)!.callFrame.url;
    if (/\/(src|bench)\//.test(u)) return name(at);
  }
  return '-';
};
// perf_hooks' gc kinds (V8's GCType).
const kinds: Record<number, string> = {
  1: 'scavenge',
  2: 'minor-mc',
  4: 'mark-compact',
  8: 'incremental marking',
  16: 'weak callbacks',
};
const minMs = Number(process.argv[3] ?? 15);
for (const g of data.gaps.filter((x) => x.ms > minMs)) {
  const self = new Map<string, number>();
  const mine = new Map<string, number>();
  let n = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i]! < g.startUs || times[i]! > g.endUs) continue;
    const dt = (times[i]! - times[i - 1]!) / 1000;
    const id = prof.samples[i]!;
    self.set(name(id), (self.get(name(id)) ?? 0) + dt);
    mine.set(ours(id), (mine.get(ours(id)) ?? 0) + dt);
    n++;
  }
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, v]) => `      ${v.toFixed(1).padStart(5)} ms ${k}`)
      .join('\n');
  const gcs = data.gc
    .filter((x) => x.startUs < g.endUs && x.startUs + x.ms * 1000 > g.startUs)
    .map((x) => `${kinds[x.kind] ?? x.kind} ${x.ms.toFixed(1)} ms`);
  console.log(
    `gap ${g.ms.toFixed(1)} ms at ${((g.startUs - prof.startTime) / 1e6).toFixed(2)} s: ${n} samples; GC: ${gcs.join(', ') || 'none'}`,
  );
  console.log(`    self time:\n${top(self)}\n    by our nearest frame:\n${top(mine)}`);
}
const gcAll = data.gc;
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))] ?? 0;
for (const k of [1, 2, 4, 8, 16]) {
  const d = gcAll.filter((x) => x.kind === k).map((x) => x.ms);
  if (d.length)
    console.log(`GC ${kinds[k]}: ${d.length}, median ${q(d, 0.5).toFixed(1)} ms, max ${Math.max(...d).toFixed(1)} ms`);
}
console.log(`heap used at the end ${data.heapUsedMb.toFixed(0)} MB`);
