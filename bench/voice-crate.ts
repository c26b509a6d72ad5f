// The voice benchmark's crates: six synthesized tracks, 118–128 BPM, in neighbouring Camelot keys, analysed once and
// cached (with the analyzer version) in data/bench-voice/: 112–125 s long for the burst scenario, 220–238 s for
// the steady one (a guild may play up to 3 minutes of its first track before it mixes out).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { ANALYZER_VERSION } from '../src/audio/analysis/analyzer-version.ts';
import type { PlannedTrack } from '../src/audio/transition/transition-plan.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';

export const CRATE_DIR = path.join(PROJECT_ROOT, 'data', 'bench-voice');
export type VoiceScenario = 'burst' | 'steady';
export const crateFile = (scenario: VoiceScenario): string =>
  path.join(CRATE_DIR, scenario === 'burst' ? 'crate.json' : 'crate-steady.json');

type Section = { label: 'intro' | 'build' | 'drop' | 'breakdown' | 'outro'; bars: number };
const SECTIONS: Record<VoiceScenario, Section[]> = {
  // 60 bars: 112.5 s at 128 BPM, 122 s at 118 BPM.
  burst: [
    { label: 'intro', bars: 16 },
    { label: 'build', bars: 8 },
    { label: 'drop', bars: 16 },
    { label: 'breakdown', bars: 8 },
    { label: 'outro', bars: 12 },
  ],
  // 116 bars: 217.5 s at 128 BPM, 236 s at 118 BPM; the outro starts 96 bars in (180–195 s).
  steady: [
    { label: 'intro', bars: 16 },
    { label: 'build', bars: 8 },
    { label: 'drop', bars: 16 },
    { label: 'breakdown', bars: 16 },
    { label: 'build', bars: 8 },
    { label: 'drop', bars: 32 },
    { label: 'outro', bars: 20 },
  ],
};
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

/** The scenario's crate, synthesized and analysed on first use. */
export async function ensureVoiceCrate(
  log: (line: string) => void,
  scenario: VoiceScenario = 'burst',
): Promise<PlannedTrack[]> {
  const sections = SECTIONS[scenario];
  const key = JSON.stringify({ SECTIONS: sections, RECIPES });
  const file = crateFile(scenario);
  if (existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as CrateCache;
    if (cached.version === ANALYZER_VERSION && cached.recipes === key && cached.tracks.every((t) => existsSync(t.file)))
      return cached.tracks;
  }
  mkdirSync(CRATE_DIR, { recursive: true });
  const pool = new AnalyzerPool({ size: 2 });
  try {
    const tracks = await Promise.all(
      RECIPES.map(async (r, i) => {
        const wav = path.join(CRATE_DIR, scenario === 'burst' ? `voice-${i}.wav` : `voice-${scenario}-${i}.wav`);
        await writeSynthTrack(wav, { ...r, sections });
        const analysis = await pool.analyze(wav);
        log(
          `  synthesized and analysed ${path.basename(wav)}: ${analysis.durationSec.toFixed(1)} s, ${analysis.bpm.toFixed(1)} BPM, ${analysis.key} ${analysis.scale}`,
        );
        return { id: `voice-${i}`, file: wav, title: `voice ${i} (${r.bpm} BPM ${r.key} ${r.scale})`, analysis };
      }),
    );
    writeFileSync(file, JSON.stringify({ version: ANALYZER_VERSION, recipes: key, tracks } satisfies CrateCache));
    return tracks;
  } finally {
    await pool.close();
  }
}
