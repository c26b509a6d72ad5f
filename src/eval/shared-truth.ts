/**
 * Loads the ground truth of the shared evaluation clips (truth.json; see
 * MANIFEST.md beside it). The audio is never copied into the project.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pitchClass } from '../audio/music/camelot.ts';
import type { Scale } from '../audio/analysis/analysis-types.ts';
import { setting } from '../util/config.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TempoAlternative {
  bpm: number;
  weight: number;
}

export interface TruthEntry {
  /** Path relative to the shared folder, as written in truth.json. */
  id: string;
  file: string;
  durationSec: number;
  bpm?: number;
  /** Weighted tempo readings when annotators disagree (octave ambiguity); empty otherwise. */
  bpmAlternatives: TempoAlternative[];
  /** Absent when the clip has no beat annotation. */
  beats?: number[];
  /** False when the annotation covers only the first beats (score with `truncatedAnnotationWindow`). */
  beatsComplete: boolean;
  /** Absent when the clip has no downbeat annotation; covers the same span as `beats`. */
  downbeats?: number[];
  key?: string;
  scale?: Scale;
  meter?: string;
  genre?: string;
}

export interface SharedTruth {
  dir: string;
  entries: TruthEntry[];
  /** Ids listed in truth.json whose audio file is not there. */
  missing: string[];
}

/** `MINIDJ_SHARED_AUDIO`, else `../shared/audio` beside the project root (as CI lays it out). */
export function sharedAudioDir(projectRoot: string = PROJECT_ROOT, env: NodeJS.ProcessEnv = process.env): string {
  const dir = setting('MINIDJ_SHARED_AUDIO', env);
  return dir ? path.resolve(dir) : path.resolve(projectRoot, '../shared/audio');
}

function truthFilePath(dir: string = sharedAudioDir()): string {
  return path.join(dir, 'truth.json');
}

/** Parses "D major", "Eb minor", "f# min" into a key name understood by `pitchClass` and a scale. */
export function parseKeyLabel(label: string): { key: string; scale: Scale } {
  const m = /^\s*([A-Ga-g])([#b]?)\s+(major|minor|maj|min)\s*$/i.exec(label);
  if (!m) throw new Error(`not a key label: "${label}"`);
  const key = m[1]!.toUpperCase() + m[2]!;
  pitchClass(key);
  return { key, scale: m[3]!.toLowerCase().startsWith('maj') ? 'major' : 'minor' };
}

type Raw = Record<string, unknown>;

function optionalNumber(raw: Raw, field: string): number | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`"${field}" is not a number`);
  return v;
}

function optionalString(raw: Raw, field: string): string | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`"${field}" is not a string`);
  return v;
}

function optionalTimes(raw: Raw, field: string): number[] | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((t) => typeof t === 'number' && Number.isFinite(t)))
    throw new Error(`"${field}" is not a list of numbers`);
  return v as number[];
}

function alternatives(raw: Raw): TempoAlternative[] {
  const v = raw.bpm_alternatives;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error('"bpm_alternatives" is not a list');
  return v.map((alt: unknown) => {
    const a = alt as Raw;
    const bpm = optionalNumber(a, 'bpm');
    const weight = optionalNumber(a, 'weight');
    if (bpm === undefined || weight === undefined) throw new Error('"bpm_alternatives" entry lacks bpm or weight');
    return { bpm, weight };
  });
}

function parseTruthEntry(raw: Raw, dir: string): TruthEntry {
  const id = optionalString(raw, 'file');
  if (!id) throw new Error('entry has no "file"');
  try {
    const durationSec = optionalNumber(raw, 'duration_s');
    if (durationSec === undefined) throw new Error('"duration_s" is missing');
    const beats = optionalTimes(raw, 'beats');
    const keyLabel = optionalString(raw, 'key');
    return {
      id,
      file: path.resolve(dir, id),
      durationSec,
      bpm: optionalNumber(raw, 'bpm'),
      bpmAlternatives: alternatives(raw),
      beats,
      beatsComplete: beats !== undefined && raw.beats_complete === true,
      downbeats: optionalTimes(raw, 'downbeats'),
      ...(keyLabel === undefined ? {} : parseKeyLabel(keyLabel)),
      meter: optionalString(raw, 'meter'),
      genre: optionalString(raw, 'genre'),
    };
  } catch (err) {
    throw new Error(`truth.json entry "${id}": ${(err as Error).message}`, { cause: err });
  }
}

/** Returns undefined when the shared folder (or its truth.json) is absent; entries whose audio is missing are skipped. */
export async function loadSharedTruth(dir: string = sharedAudioDir()): Promise<SharedTruth | undefined> {
  const truthPath = truthFilePath(dir);
  if (!existsSync(truthPath)) return undefined;
  const parsed: unknown = JSON.parse(await readFile(truthPath, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${truthPath}: expected a JSON array of entries`);
  const entries: TruthEntry[] = [];
  const missing: string[] = [];
  for (const raw of parsed as Raw[]) {
    const entry = parseTruthEntry(raw, dir);
    if (existsSync(entry.file)) entries.push(entry);
    else missing.push(entry.id);
  }
  return { dir, entries, missing };
}
