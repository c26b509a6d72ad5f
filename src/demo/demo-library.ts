import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeSynthTrack } from '../synth/synth-cli.ts';
import type { SynthOptions } from '../synth/track-synth.ts';

export interface DemoTrack {
  title: string;
  options: SynthOptions;
}

/** A small house/techno crate with the tempo spread and key relations a real set has: neighbours, clashes, a jump. */
/** Radio-edit lengths (64–72 bars, about two minutes) so that the demo set of seven tracks (six transitions) lasts 10–15 minutes. */
const edit = (bars: number) => [
  { label: 'intro' as const, bars: 16 },
  { label: 'build' as const, bars: 8 },
  { label: 'drop' as const, bars: 16 },
  { label: 'breakdown' as const, bars: bars - 56 },
  { label: 'drop' as const, bars: 8 },
  { label: 'outro' as const, bars: 8 },
];

export const DEMO_TRACKS: DemoTrack[] = [
  { title: 'Warm Up', options: { bpm: 120, key: 'A', scale: 'minor', seed: 101, sections: edit(64) } },
  { title: 'Glass Steps', options: { bpm: 122, key: 'E', scale: 'minor', seed: 102, sections: edit(72) } },
  { title: 'Low Sun', options: { bpm: 123, key: 'C', scale: 'major', seed: 103, sections: edit(64) } },
  { title: 'Night Bus', options: { bpm: 124, key: 'D', scale: 'minor', seed: 104, sections: edit(72) } },
  { title: 'Copper', options: { bpm: 125, key: 'F', scale: 'major', seed: 105, sections: edit(64) } },
  { title: 'Tidal', options: { bpm: 126, key: 'B', scale: 'minor', seed: 106, sections: edit(72) } },
  { title: 'Pressure Drop', options: { bpm: 128, key: 'F#', scale: 'minor', seed: 107, sections: edit(64) } },
];

function demoFileName(track: DemoTrack, index: number): string {
  return `${String(index + 1).padStart(2, '0')} ${track.title}.wav`;
}

/** A cached file is reused only if it was made from the same recipe. */
function matches(truthFile: string, options: SynthOptions): boolean {
  try {
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as {
      bpm: number;
      key: string;
      scale: string;
      sections: { endBar: number }[];
    };
    const bars = (options.sections ?? []).reduce((n, s) => n + s.bars, 0);
    return (
      truth.bpm === options.bpm &&
      truth.scale === options.scale &&
      truth.sections.at(-1)?.endBar === bars &&
      truth.sections.length === options.sections?.length
    );
  } catch {
    // Unreadable or malformed truth file: the cached track is made again.
    return false;
  }
}

/** Synthesizes the demo crate into `dir` once; deterministic, so later runs reuse the files. */
export async function ensureDemoLibrary(
  dir: string,
  onTrack?: (file: string, made: boolean) => void,
): Promise<string[]> {
  const files: string[] = [];
  for (const [i, track] of DEMO_TRACKS.entries()) {
    const file = path.join(dir, demoFileName(track, i));
    const made =
      !existsSync(file) || !existsSync(`${file}.truth.json`) || !matches(`${file}.truth.json`, track.options);
    if (made) await writeSynthTrack(file, track.options);
    onTrack?.(file, made);
    files.push(file);
  }
  return files;
}
