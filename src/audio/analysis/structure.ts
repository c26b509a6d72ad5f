import type { Cues, Segment, SegmentLabel } from './analysis-types.ts';
import { cosineDistance, spanFeatures } from './beat-sync.ts';
import type { SpanFeatures } from './beat-sync.ts';
import type { SpectralFrames } from './spectral-frames.ts';
import { mean } from '../dsp/stats.ts';

export const PHRASE_BARS = 8;

export interface Structure {
  /** Per bar RMS relative to the loudest bar, 0..1. */
  energy: number[];
  phraseBars: number;
  /** Bar index of the first phrase start; bars before it are a pickup. */
  phraseOffset: number;
  phrases: number[];
  segments: Segment[];
  cues: Cues;
}

const toDb = (power: number): number => 10 * Math.log10(power + 1e-12);

/** Bar index offset (0..7) whose bars carry the most change: sections in dance music start on the phrase grid. */
function phraseOffset(novelty: number[]): number {
  if (novelty.length < PHRASE_BARS * 2) return 0;
  let best = 0;
  let bestScore = -Infinity;
  for (let o = 0; o < PHRASE_BARS; o++) {
    const score = mean(novelty.filter((_, b) => b >= 1 && b % PHRASE_BARS === o));
    if (score > bestScore + 1e-9) {
      bestScore = score;
      best = o;
    }
  }
  return best;
}

interface PhraseInfo {
  startBar: number;
  endBar: number;
  energyDb: number;
  lowDb: number;
  midDb: number;
  rising: boolean;
}

function labelPhrases(phrases: PhraseInfo[]): SegmentLabel[] {
  const topEnergy = Math.max(...phrases.map((p) => p.energyDb));
  const topLow = Math.max(...phrases.map((p) => p.lowDb));
  const topMid = Math.max(...phrases.map((p) => p.midDb));
  // A drop is the full arrangement: near the loudest, with the low end (kick and bass) and the harmony (mids) both in.
  const isDrop = phrases.map((p) => p.energyDb >= topEnergy - 3 && p.lowDb >= topLow - 4 && p.midDb >= topMid - 4);
  const first = isDrop.indexOf(true);
  const last = isDrop.lastIndexOf(true);
  return phrases.map((p, i) => {
    if (isDrop[i]) return 'drop';
    if (i < first || first < 0) return i === first - 1 && i > 0 && p.rising ? 'build' : 'intro';
    if (i > last) return 'outro';
    return isDrop[i + 1] && p.rising ? 'build' : 'breakdown';
  });
}

/** How much each bar differs from the one before: level, low, high and harmony. */
function barNovelty(bars: SpanFeatures): number[] {
  const logE = bars.energy.map(toDb);
  const logLow = bars.low.map(toDb);
  const logHigh = bars.high.map(toDb);
  return logE.map((_, b) =>
    b === 0
      ? 0
      : Math.abs(logE[b]! - logE[b - 1]!) +
        Math.abs(logLow[b]! - logLow[b - 1]!) +
        Math.abs(logHigh[b]! - logHigh[b - 1]!) +
        10 * cosineDistance(bars.chroma[b]!, bars.chroma[b - 1]!),
  );
}

/** The labelled phrases as segments, neighbours with the same label joined. */
function segmentsOf(infos: PhraseInfo[], labels: SegmentLabel[], barTime: (b: number) => number): Segment[] {
  const segments: Segment[] = [];
  infos.forEach((p, i) => {
    const label = labels[i]!;
    const prev = segments.at(-1);
    if (prev && prev.label === label) {
      prev.endBar = p.endBar;
      prev.end = Number(barTime(p.endBar).toFixed(4));
    } else {
      segments.push({
        start: Number(barTime(p.startBar).toFixed(4)),
        end: Number(barTime(p.endBar).toFixed(4)),
        label,
        startBar: p.startBar,
        endBar: p.endBar,
      });
    }
  });
  return segments;
}

export function analyzeStructure(downbeats: number[], durationSec: number, frames: SpectralFrames): Structure {
  if (downbeats.length < 2) {
    return {
      energy: [],
      phraseBars: PHRASE_BARS,
      phraseOffset: 0,
      phrases: [],
      segments: [],
      cues: { mixIn: downbeats[0] ?? 0, mixOut: downbeats[0] ?? 0 },
    };
  }
  const barLength = mean(downbeats.slice(1).map((t, i) => t - downbeats[i]!));
  const lastEnd = Math.min(durationSec, downbeats.at(-1)! + barLength);
  const edges = [...downbeats, lastEnd];
  const bars = spanFeatures(frames, edges);
  const barCount = downbeats.length;
  const rms = bars.energy.map(Math.sqrt);
  const maxRms = Math.max(...rms, 1e-12);
  const energy = rms.map((r) => Number((r / maxRms).toFixed(3)));

  const novelty = barNovelty(bars);
  const offset = phraseOffset(novelty);
  const phraseStarts: number[] = [];
  for (let b = offset; b < barCount; b += PHRASE_BARS) phraseStarts.push(b);
  if (phraseStarts.length === 0) phraseStarts.push(0);

  const infos: PhraseInfo[] = phraseStarts.map((start, i) => {
    // The pickup bars before the first phrase belong to it.
    const from = i === 0 ? 0 : start;
    const to = phraseStarts[i + 1] ?? barCount;
    const range = (values: number[]): number[] => values.slice(from, to);
    const e = range(bars.energy);
    const half = Math.max(1, Math.floor(e.length / 2));
    return {
      startBar: from,
      endBar: to,
      energyDb: toDb(mean(e)),
      lowDb: toDb(mean(range(bars.low))),
      midDb: toDb(mean(range(bars.mid))),
      rising:
        toDb(mean(e.slice(half))) > toDb(mean(e.slice(0, half))) + 1 ||
        mean(range(bars.centroid).slice(half)) > 1.15 * mean(range(bars.centroid).slice(0, half)),
    };
  });
  // A trailing fragment shorter than half a phrase joins the phrase before it.
  if (infos.length > 1 && infos.at(-1)!.endBar - infos.at(-1)!.startBar < PHRASE_BARS / 2) {
    const tail = infos.pop()!;
    infos.at(-1)!.endBar = tail.endBar;
  }
  const labels = labelPhrases(infos);
  const barTime = (b: number): number => (b < barCount ? downbeats[b]! : lastEnd);
  const segments = segmentsOf(infos, labels, barTime);
  const phraseTimes = phraseStarts.map((b) => Number(downbeats[b]!.toFixed(4)));
  return {
    energy,
    phraseBars: PHRASE_BARS,
    phraseOffset: offset,
    phrases: phraseTimes,
    segments,
    cues: chooseCues(segments, phraseStarts, downbeats, barCount),
  };
}

/**
 * mixIn: the first phrase start (where a DJ starts the track under the previous one). mixOut: the start of the outro
 * when there is one of at least a phrase, otherwise two phrases before the last full phrase ends.
 */
function chooseCues(segments: Segment[], phraseStarts: number[], downbeats: number[], barCount: number): Cues {
  const mixInBar = phraseStarts[0]!;
  const outro = segments.at(-1)?.label === 'outro' ? segments.at(-1)! : undefined;
  let mixOutBar: number;
  if (outro && outro.endBar - outro.startBar >= PHRASE_BARS && outro.startBar > mixInBar) {
    mixOutBar = Math.max(outro.startBar, phraseStarts.find((b) => b >= outro.startBar) ?? outro.startBar);
  } else {
    const fullPhrases = phraseStarts.filter((b) => b + PHRASE_BARS <= barCount);
    mixOutBar = fullPhrases.length >= 3 ? fullPhrases.at(-2)! : (fullPhrases.at(-1) ?? mixInBar);
  }
  if (!phraseStarts.includes(mixOutBar)) mixOutBar = phraseStarts.filter((b) => b <= mixOutBar).at(-1) ?? mixInBar;
  if (mixOutBar <= mixInBar) {
    // Too short for two phrases (a clip, a sketch): leave 8 bars (or 4) before the end, on the bar grid.
    const tail = barCount - mixInBar >= 12 ? 8 : 4;
    mixOutBar = Math.max(mixInBar + 1, barCount - tail);
  }
  return {
    mixIn: Number(downbeats[mixInBar]!.toFixed(4)),
    mixOut: Number(downbeats[Math.min(mixOutBar, barCount - 1)]!.toFixed(4)),
  };
}
