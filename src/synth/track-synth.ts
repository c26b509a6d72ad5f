/**
 * Deterministic electronic dance tracks with known tempo, key, beats, downbeats and
 * structure: the ground truth for the analysis tests and the offline demo library.
 */
import type { Scale } from '../audio/analysis/analysis-types.ts';
import { camelotCode, keyName, pitchClass } from '../audio/music/camelot.ts';
import { arrange } from './arrangement.ts';
import { renderBass } from './bass.ts';
import { barSample, makeBeatGrid } from './beat-grid.ts';
import { renderChords } from './chords.ts';
import { makeDrumKit } from './drum-kit.ts';
import { kickSamples, renderDrums } from './drums.ts';
import { renderLead } from './lead.ts';
import { dbToGain, masterBus, peakOf } from './master.ts';
import { createMixBus } from './mix-bus.ts';
import { createRng } from '../util/prng.ts';
import { renderRiser } from './riser.ts';
import { applyReverb } from './reverb.ts';
import { addRoomTone } from './room-tone.ts';
import { DEFAULT_SECTIONS, totalBars, validateSections, type SynthSection } from './structure.ts';
import { chooseTrackStyle } from './track-style.ts';
import { buildTruth, type SynthTruth } from './truth.ts';

export type { SectionLabel, SynthSection } from './structure.ts';
export type { SynthTruth } from './truth.ts';
export { DEFAULT_SECTIONS, structureForBars } from './structure.ts';

export interface SynthOptions {
  bpm: number;
  /** Tonic pitch class name: 'A', 'F#', 'Eb', ... */
  key: string;
  scale: Scale;
  seed: number;
  /** Default 44100. */
  sampleRate?: number;
  /** Lead-in of room tone before the first downbeat; default a seeded value in [0, 0.6) s. */
  firstDownbeatSec?: number;
  /** Default DEFAULT_SECTIONS (96 bars). */
  sections?: SynthSection[];
  /** Sample peak of the finished track in dBFS, at most 0; default -1. */
  targetPeakDb?: number;
}

export interface SynthTrack {
  sampleRate: number;
  left: Float32Array;
  right: Float32Array;
  truth: SynthTruth;
}

const DEFAULT_SAMPLE_RATE = 44100;
const MAX_DEFAULT_LEAD_IN_SEC = 0.6;
const DEFAULT_TARGET_PEAK_DB = -1;
/** Room tone level relative to the mix's peak. */
const ROOM_TONE_DB = -68;

function validate(opts: SynthOptions): void {
  if (!Number.isFinite(opts.bpm) || opts.bpm < 30 || opts.bpm > 300) {
    throw new RangeError(`bpm must be between 30 and 300, got ${opts.bpm}`);
  }
  if (opts.scale !== 'major' && opts.scale !== 'minor') throw new RangeError(`unknown scale "${String(opts.scale)}"`);
  const sr = opts.sampleRate;
  if (sr !== undefined && (!Number.isInteger(sr) || sr < 8000 || sr > 192000)) {
    throw new RangeError(`sampleRate must be an integer between 8000 and 192000, got ${sr}`);
  }
  const lead = opts.firstDownbeatSec;
  if (lead !== undefined && (!Number.isFinite(lead) || lead < 0)) {
    throw new RangeError(`firstDownbeatSec must be a finite number ≥ 0, got ${lead}`);
  }
  const peak = opts.targetPeakDb;
  if (peak !== undefined && (!Number.isFinite(peak) || peak > 0)) {
    throw new RangeError(`targetPeakDb must be ≤ 0 dBFS, got ${peak}`);
  }
}

export function synthesizeTrack(opts: SynthOptions): SynthTrack {
  validate(opts);
  const sampleRate = opts.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const sections = opts.sections ?? DEFAULT_SECTIONS;
  validateSections(sections);
  const tonicPc = pitchClass(opts.key);
  const { seed } = opts;
  const firstDownbeatSec = opts.firstDownbeatSec ?? createRng(seed, 'lead-in').range(0, MAX_DEFAULT_LEAD_IN_SEC);
  const bars = totalBars(sections);
  const grid = makeBeatGrid(opts.bpm, sampleRate, firstDownbeatSec, bars);
  const style = chooseTrackStyle(tonicPc, opts.scale, createRng(seed, 'style'));
  const plans = arrange(sections, style.progression.length);

  // One bar of tail after the last section lets reverb and cymbals decay.
  const length = barSample(grid, bars) + Math.ceil(grid.barSec * sampleRate);
  const bus = createMixBus(length);
  const kicks = kickSamples(plans, grid);
  renderDrums(bus, plans, grid, makeDrumKit(sampleRate, createRng(seed, 'kit')), style, createRng(seed, 'drums'));
  renderBass(bus, plans, grid, style, kicks);
  renderChords(bus, plans, grid, style, kicks, createRng(seed, 'chords'));
  renderLead(bus, plans, grid, style);
  renderRiser(bus, plans, grid, createRng(seed, 'riser'));
  applyReverb(bus, sampleRate);
  const roomLevel = peakOf(bus.left, bus.right) * dbToGain(ROOM_TONE_DB);
  addRoomTone(bus, sampleRate, roomLevel, createRng(seed, 'room'));
  masterBus(bus, sampleRate, dbToGain(opts.targetPeakDb ?? DEFAULT_TARGET_PEAK_DB));

  const key = keyName(tonicPc);
  const truth = buildTruth({
    grid,
    sections,
    key,
    scale: opts.scale,
    camelot: camelotCode(key, opts.scale),
    durationSec: length / sampleRate,
    progression: style.chordSymbols,
  });
  return { sampleRate, left: bus.left, right: bus.right, truth };
}
