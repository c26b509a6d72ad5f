import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeSynthTrack } from '../synth/synth-cli.ts';
import type { SynthOptions } from '../synth/track-synth.ts';
import { structureForBars } from '../synth/track-synth.ts';

export interface DemoTrack {
  title: string;
  options: SynthOptions;
}

/** A small house/techno crate with the tempo spread and key relations a real set has: neighbours, clashes, a jump. */
export const DEMO_TRACKS: DemoTrack[] = [
  { title: 'Warm Up', options: { bpm: 120, key: 'A', scale: 'minor', seed: 101, sections: structureForBars(80) } },
  { title: 'Glass Steps', options: { bpm: 122, key: 'E', scale: 'minor', seed: 102, sections: structureForBars(96) } },
  { title: 'Low Sun', options: { bpm: 123, key: 'C', scale: 'major', seed: 103, sections: structureForBars(88) } },
  { title: 'Night Bus', options: { bpm: 124, key: 'D', scale: 'minor', seed: 104, sections: structureForBars(96) } },
  { title: 'Copper', options: { bpm: 125, key: 'F', scale: 'major', seed: 105, sections: structureForBars(96) } },
  { title: 'Tidal', options: { bpm: 126, key: 'B', scale: 'minor', seed: 106, sections: structureForBars(104) } },
  { title: 'Pressure Drop', options: { bpm: 128, key: 'F#', scale: 'minor', seed: 107, sections: structureForBars(96) } },
  { title: 'Neon Rain', options: { bpm: 128, key: 'C#', scale: 'minor', seed: 108, sections: structureForBars(96) } },
  { title: 'Last Train', options: { bpm: 127, key: 'G', scale: 'major', seed: 109, sections: structureForBars(88) } },
  { title: 'Afterglow', options: { bpm: 124, key: 'G', scale: 'minor', seed: 110, sections: structureForBars(80) } },
];

export function demoFileName(track: DemoTrack, index: number): string {
  return `${String(index + 1).padStart(2, '0')} ${track.title}.wav`;
}

/** Synthesizes the demo crate into `dir` once; deterministic, so later runs reuse the files. */
export async function ensureDemoLibrary(dir: string, onTrack?: (file: string, made: boolean) => void): Promise<string[]> {
  const files: string[] = [];
  for (const [i, track] of DEMO_TRACKS.entries()) {
    const file = path.join(dir, demoFileName(track, i));
    const made = !existsSync(file) || !existsSync(`${file}.truth.json`);
    if (made) await writeSynthTrack(file, track.options);
    onTrack?.(file, made);
    files.push(file);
  }
  return files;
}
