import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyzerPool } from '../../src/audio/analysis/analyzer-pool.ts';
import type { TrackAnalysis } from '../../src/audio/analysis/analysis-types.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import { writeSynthTrack } from '../../src/synth/synth-cli.ts';
import type { SynthOptions } from '../../src/synth/track-synth.ts';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Every source file under `dir`, in a fixed order. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => f.endsWith('.ts') && statSync(f).isFile())
    .sort();
}

/** The code that makes the tracks or hears them: the synth, and the audio stages up to the ears. */
const MAKERS = ['synth', 'audio/io', 'audio/dsp', 'audio/music', 'audio/analysis'];

/** Changes with the recipes and with the code that makes or hears the tracks. */
function crateKey(name: string, recipes: SynthOptions[]): string {
  const hash = createHash('sha256').update(JSON.stringify(recipes));
  for (const file of MAKERS.flatMap((dir) => sources(path.join(SRC, dir))))
    hash.update(file).update(readFileSync(file));
  return `${name}-${hash.digest('hex').slice(0, 16)}`;
}

/**
 * Synthesized tracks with their analyses, made once and kept in the system's temp folder for the test files that
 * share them (the audio tests run one file at a time, each needing the same crate): a change to the recipes or to that
 * code makes a new crate. Track `i` is `<name>-<i>.wav`, id and title `<prefix><i>`.
 */
export async function analysedCrate(name: string, recipes: SynthOptions[], prefix = 't'): Promise<PlannedTrack[]> {
  const root = path.join(tmpdir(), 'minidj-test-crates');
  const dir = path.join(root, crateKey(name, recipes));
  const index = path.join(dir, 'analyses.json');
  if (!existsSync(index)) {
    mkdirSync(root, { recursive: true });
    const making = `${dir}.${process.pid}.tmp`;
    rmSync(making, { recursive: true, force: true });
    mkdirSync(making);
    const pool = new AnalyzerPool({ size: 2 });
    try {
      const analyses = await Promise.all(
        recipes.map(async (r, i) => {
          const file = path.join(making, `${name}-${i}.wav`);
          await writeSynthTrack(file, r);
          return pool.analyze(file);
        }),
      );
      writeFileSync(path.join(making, 'analyses.json'), JSON.stringify(analyses));
    } finally {
      await pool.close();
    }
    try {
      renameSync(making, dir);
    } catch (error) {
      // Another file made the same crate meanwhile: either copy will do.
      if (!existsSync(index)) throw error;
      rmSync(making, { recursive: true, force: true });
    }
  }
  const analyses = JSON.parse(readFileSync(index, 'utf8')) as TrackAnalysis[];
  return analyses.map((analysis, i) => ({
    id: `${prefix}${i}`,
    file: path.join(dir, `${name}-${i}.wav`),
    title: `${prefix}${i}`,
    analysis,
  }));
}
