// The voice benchmark's crate: six synthesized tracks of 112–125 s, 118–128 BPM, in neighbouring Camelot keys,
// analysed once and cached (with the analyzer version) in data/bench-voice/crate.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { ANALYZER_VERSION } from '../src/audio/analysis/analyzer-version.ts';
import type { PlannedTrack } from '../src/audio/transition/transition-plan.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';

export const CRATE_DIR = path.join(PROJECT_ROOT, 'data', 'bench-voice');
export const CRATE_FILE = path.join(CRATE_DIR, 'crate.json');

// 60 bars: 112.5 s at 128 BPM, 122 s at 118 BPM.
const SECTIONS = [
  { label: 'intro' as const, bars: 16 }, { label: 'build' as const, bars: 8 }, { label: 'drop' as const, bars: 16 },
  { label: 'breakdown' as const, bars: 8 }, { label: 'outro' as const, bars: 12 },
];
// 8A, 9A, 8B, 7A, 9B, 10A: each a Camelot neighbour of the next in the rotation.
const RECIPES = [
  { bpm: 124, key: 'A', scale: 'minor' as const, seed: 71 },
  { bpm: 126, key: 'E', scale: 'minor' as const, seed: 72 },
  { bpm: 122, key: 'C', scale: 'major' as const, seed: 73 },
  { bpm: 118, key: 'D', scale: 'minor' as const, seed: 74 },
  { bpm: 125, key: 'G', scale: 'major' as const, seed: 75 },
  { bpm: 128, key: 'B', scale: 'minor' as const, seed: 76 },
];

interface CrateCache {
  version: string;
  recipes: string;
  tracks: PlannedTrack[];
}

/** The crate, synthesized and analysed on first use. */
export async function ensureVoiceCrate(log: (line: string) => void): Promise<PlannedTrack[]> {
  const key = JSON.stringify({ SECTIONS, RECIPES });
  if (existsSync(CRATE_FILE)) {
    const cached = JSON.parse(readFileSync(CRATE_FILE, 'utf8')) as CrateCache;
    if (cached.version === ANALYZER_VERSION && cached.recipes === key && cached.tracks.every((t) => existsSync(t.file))) return cached.tracks;
  }
  mkdirSync(CRATE_DIR, { recursive: true });
  const pool = new AnalyzerPool({ size: 2 });
  try {
    const tracks = await Promise.all(RECIPES.map(async (r, i) => {
      const file = path.join(CRATE_DIR, `voice-${i}.wav`);
      await writeSynthTrack(file, { ...r, sections: SECTIONS });
      const analysis = await pool.analyze(file);
      log(`  synthesized and analysed ${path.basename(file)}: ${analysis.durationSec.toFixed(1)} s, ${analysis.bpm.toFixed(1)} BPM, ${analysis.key} ${analysis.scale}`);
      return { id: `voice-${i}`, file, title: `voice ${i} (${r.bpm} BPM ${r.key} ${r.scale})`, analysis };
    }));
    writeFileSync(CRATE_FILE, JSON.stringify({ version: ANALYZER_VERSION, recipes: key, tracks } satisfies CrateCache));
    return tracks;
  } finally {
    await pool.close();
  }
}
