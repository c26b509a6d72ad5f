/**
 * Writes a synthesized track as a 16-bit WAV with its ground truth next to it (`<path>.truth.json`).
 * Usage: node src/synth/synth-cli.ts out.wav [--bpm 128] [--key A] [--scale minor] [--seed 1] [--bars 96] [--sample-rate 44100]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeWav } from '../audio/io/wav.ts';
import { structureForBars, synthesizeTrack, type SynthOptions, type SynthTruth } from './track-synth.ts';

export async function writeSynthTrack(path: string, opts: SynthOptions): Promise<SynthTruth> {
  const track = synthesizeTrack(opts);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, encodeWav([track.left, track.right], track.sampleRate, 'pcm16'));
  await writeFile(`${path}.truth.json`, `${JSON.stringify(track.truth, null, 2)}\n`);
  return track.truth;
}

function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      bpm: { type: 'string' },
      key: { type: 'string' },
      scale: { type: 'string' },
      seed: { type: 'string' },
      bars: { type: 'string' },
      'sample-rate': { type: 'string' },
    },
  });
  const path = positionals[0];
  if (!path)
    throw new Error('usage: synth-cli.ts <out.wav> [--bpm N] [--key A] [--scale minor|major] [--seed N] [--bars N]');
  const scale = values.scale ?? 'minor';
  if (scale !== 'major' && scale !== 'minor') throw new Error('--scale must be major or minor');
  const opts: SynthOptions = {
    bpm: numberOption(values.bpm, 'bpm', 128),
    key: values.key ?? 'A',
    scale,
    seed: numberOption(values.seed, 'seed', 1),
    sampleRate: numberOption(values['sample-rate'], 'sample-rate', 44100),
  };
  if (values.bars !== undefined) opts.sections = structureForBars(numberOption(values.bars, 'bars', 96));
  const truth = await writeSynthTrack(path, opts);
  process.stdout.write(
    `${path}: ${truth.durationSec.toFixed(2)} s, ${truth.bpm} BPM, ${truth.key} ${truth.scale} (${truth.camelot}), ` +
      `${truth.downbeats.length} bars, chords ${truth.progression.join(' ')}\n`,
  );
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
