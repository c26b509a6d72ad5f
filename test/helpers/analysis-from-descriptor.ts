import type { Segment, TrackAnalysis } from '../../src/audio/analysis/analysis-types.ts';
import { ANALYZER_VERSION } from '../../src/audio/analysis/analyzer-version.ts';
import { camelotCode, PITCH_CLASSES } from '../../src/audio/music/camelot.ts';
import { camelotCodeOf } from '../../src/audio/music/camelot-relation.ts';
import type { TrackDescriptor } from '../../src/ai/track-descriptor.ts';

/**
 * A stored-analysis record that describes back to (nearly) the given descriptor: lets tests put crates in a real store.
 * `mainBars` between the intro and the outro (16 by default; more makes a record as long as a released track's).
 */
export function analysisFromDescriptor(d: TrackDescriptor, mainBars = 16): TrackAnalysis {
  const code = camelotCodeOf(d.camelotNumber, d.camelotLetter);
  const scale = d.camelotLetter === 1 ? 'major' : 'minor';
  const key = PITCH_CLASSES.find((k) => camelotCode(k, scale) === code)!;
  const intro = Math.max(d.introBars, 8);
  const outro = Math.max(d.outroBars, 8);
  const bars = intro + mainBars + outro;
  const barSec = (4 * 60) / d.bpm;
  const downbeats = Array.from({ length: bars }, (_, b) => Number((b * barSec).toFixed(4)));
  const energy = Array.from({ length: bars }, (_, b) =>
    b < 8 ? d.energyIn : b >= bars - outro && b < bars - outro + 8 ? d.energyOut : 1,
  );
  const segments: Segment[] = [];
  if (d.introBars > 0)
    segments.push({ label: 'intro', startBar: 0, endBar: d.introBars, start: 0, end: downbeats[d.introBars]! });
  const mainStart = d.introBars;
  const mainEnd = d.outroBars > 0 ? bars - outro : bars;
  segments.push({
    label: 'drop',
    startBar: mainStart,
    endBar: mainEnd,
    start: downbeats[mainStart]!,
    end: downbeats[mainEnd] ?? bars * barSec,
  });
  if (d.outroBars > 0)
    segments.push({
      label: 'outro',
      startBar: bars - outro,
      endBar: bars,
      start: downbeats[bars - outro]!,
      end: bars * barSec,
    });
  const beats = Array.from({ length: bars * 4 }, (_, i) => Number(((i * barSec) / 4).toFixed(4)));
  return {
    analyzerVersion: ANALYZER_VERSION,
    durationSec: bars * barSec,
    bpm: d.bpm,
    bpmConfidence: d.bpmConfidence,
    beatJitterMs: 1,
    beats,
    beatPositions: beats.map((_, i) => (i % 4) + 1),
    downbeats,
    beatsPerBar: 4,
    key,
    scale,
    camelot: code,
    keyStrength: d.keyStrength,
    loudnessLufs: d.loudnessLufs,
    loudnessRangeLu: 3,
    truePeakDb: -1,
    energy,
    brightnessHz: d.brightnessHz,
    timbre: { mfccMean: [-80, ...d.mfcc], mfccVar: d.mfcc.map(() => 1) },
    danceability: d.danceability,
    phraseBars: 8,
    phrases: downbeats.filter((_, b) => b % 8 === 0),
    segments,
    cues: { mixIn: 0, mixOut: downbeats[bars - outro]! },
  };
}
