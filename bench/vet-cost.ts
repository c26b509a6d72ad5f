/**
 * What vetting a file costs (src/audio/io/vet-media.ts) on the released tracks of ../shared/real-music: the probe
 * an ingest adds (wall time, and the prober's CPU from this process's reaped children), and a deck's open to its first
 * 100 ms of audio the first time a thread opens a file (the probe included) and again (the vet remembered).
 * `node bench/vet-cost.ts [N files]`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeckReader } from '../src/audio/io/deck-reader.ts';
import { ffprobeBeside } from '../src/audio/io/media-probe.ts';
import { ffmpegPath } from '../src/audio/io/ffmpeg-path.ts';
import { vetMedia } from '../src/audio/io/vet-media.ts';
import { prestartSpawner } from '../src/util/spawner.ts';

const DIR = path.resolve('../shared/real-music');
const files = readdirSync(DIR)
  .filter((f) => /\.(ogg|mp3|flac|m4a|wav)$/.test(f))
  .sort()
  .slice(0, Number(process.argv[2] ?? 12))
  .map((f) => path.join(DIR, f));

/** CPU seconds of this process's reaped children (utime + stime of the children waited for). */
function childrenCpuSec(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)}`;
};

async function deckOpenMs(file: string): Promise<number> {
  const started = performance.now();
  const deck = new DeckReader({ file, fromSec: 30 });
  await deck.read(4800);
  deck.close();
  return performance.now() - started;
}

prestartSpawner();
await new Promise((resolve) => setTimeout(resolve, 1500));
const wall: number[] = [];
const cpu: number[] = [];
for (const file of files) {
  const before = childrenCpuSec();
  const started = performance.now();
  // Spawned here, as the analysis thread's decode does, so its CPU is this process's children's.
  await vetMedia(file, { direct: true, maxBytes: 100e6, maxDurationSec: 1200 });
  wall.push(performance.now() - started);
  cpu.push((childrenCpuSec() - before) * 1000);
}
const first: number[] = [];
const again: number[] = [];
for (const file of files) {
  first.push(await deckOpenMs(file));
  again.push(await deckOpenMs(file));
}
console.log(
  `ffmpeg ${ffmpegPath()}, prober ${ffprobeBeside(ffmpegPath()) ?? 'ffmpeg -i (no ffprobe beside it)'}; ${files.length} files`,
);
console.log(`probe per ingest: wall ms ${stats(wall)}; CPU ms ${stats(cpu)}`);
console.log(
  `deck open to its first 100 ms: first in this thread (probe included) ms ${stats(first)}; again (vet remembered) ms ${stats(again)}`,
);
process.exit(0);
