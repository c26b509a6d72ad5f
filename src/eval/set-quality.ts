import { readDeckFrames } from '../audio/io/deck-reader.ts';
import { MIX_RATE } from '../audio/io/mix-format.ts';
import { LoudnessMeter } from '../audio/dsp/loudness.ts';
import { loudnessGain, transitionJob } from '../audio/set/transition-job.ts';
import { audibleWindow, setTimeOfTrack } from '../audio/set/set-timeline.ts';
import type { TransitionReport } from '../audio/set/set-report.ts';
import { inputAfter, isUnity } from '../audio/transition/tempo-schedule.ts';
import { renderThroughJunction } from '../audio/transition/transition-ramp.ts';
import { transitionSpan } from '../audio/transition/render-job.ts';
import type { PlannedTrack, TransitionPlan } from '../audio/transition/transition-plan.ts';
import { TruePeakMeter } from '../audio/dsp/true-peak.ts';
import type { TransitionJob } from '../audio/transition/render-job.ts';
import { measureBandHandover } from './band-handover.ts';
import type { BandHandover } from './band-handover.ts';
import { toMono } from '../audio/io/pcm.ts';
import { median } from '../audio/dsp/stats.ts';
import {
  beatKicks,
  judgeKicks,
  kickReference,
  pooledPhase,
  profileDecks,
  summarizePhase,
} from '../audio/transition/deck-phase.ts';
import { beatsInTransition } from '../audio/transition/beat-check.ts';
import { placementPhase } from '../audio/transition/deck-placement.ts';
import { deckTimingMs } from './deck-timing.ts';
import type { DeckTimingWindow } from './deck-timing.ts';
import { alignmentEnvelope, fineOnsetEnvelope, lowBand, snapOnset } from '../audio/analysis/fine-onsets.ts';
import { alignBeat, squaredSums } from './beat-alignment.ts';

const BLOCK = 32;
const STEP = BLOCK / MIX_RATE;
const SNAP_WINDOW = 0.025;
/** Minimum contrast of the alignment peak over the mean correlation for a beat to count as placed. */
const MIN_ALIGNMENT = 0.3;

export interface OverlapAlignment {
  index: number;
  style: string;
  /** Bars measured (B's kick fold against A's, per bar), and the beats folded in them. */
  barsCompared: number;
  beatsCompared: number;
  /** Per bar. */
  errorsMs: number[];
  medianAbsMs: number;
  maxAbsMs: number;
  /**
   * Each deck's kicks folded over the whole overlap, B's against A's (`pooledPhase`): read on every overlap, and the
   * figure that stands for it when fewer than `minCheckBars` bars had kicks on both decks at once. Absent when a deck
   * has too few kicks there.
   */
  pooled?: { errorMs: number; kicks: number };
  /**
   * Each deck read against its own track on the shared grid (`placementPhase`): read on every overlap, and the figure
   * that stands for it when neither the bars nor the pooled reading could be made.
   */
  placement?: { errorMs: number; beats: number };
}

export interface TransitionLoudness {
  index: number;
  /** Short-term loudness of the mix against the louder deck playing alone at the same moment (the blend neither dips nor bumps). */
  worstVsDecksLu: number;
  beforeLufs: number;
  afterLufs: number;
  minInsideLufs: number;
  maxInsideLufs: number;
  /** How far the short-term loudness inside strays outside the band spanned by the two sides, in LU (0 = inside). */
  worstExcessLu: number;
}

export interface StretchTiming {
  index: number;
  windows: number;
  /** Worst distance (ms) of the stretched deck from where its tempo schedule puts it, during the overlap. */
  overlapMaxMs: number;
  /** The same during the ramp back to its own tempo. */
  rampMaxMs: number;
}

export interface SetQuality {
  overlaps: OverlapAlignment[];
  stretchTiming: StretchTiming[];
  phaseMedianMs: number;
  phaseMaxMs: number;
  truePeakDb: number;
  transitions: TransitionLoudness[];
  worstLoudnessExcessLu: number;
  worstVsDecksLu: number;
  ibiChecked: number;
  maxIbiJumpPct: number;
  /** Largest change of consecutive intervals beyond the source's own (what the mix added). */
  maxIbiJumpVsSourcePct: number;
  /** The same, track by track, with the largest change between the same beats in the source itself. */
  ibiByTrack: TrackIbi[];
  /** Integrated loudness (LUFS) of the whole set, and of each track where it plays alone (between transitions). */
  integratedLufs: number;
  bodyLufs: { title: string; lufs: number }[];
  /** The bass swap of each blend, measured on the decks as played. */
  bassSwaps: BandHandover[];
  /** How far each filter fade keeps the two harmonies (the mids) apart, measured the same way. */
  harmonyFades: BandHandover[];
}

export interface TrackIbi {
  title: string;
  checked: number;
  maxJumpPct: number;
  maxVsSourcePct: number;
  sourceMaxJumpPct: number;
}

interface Stems {
  index: number;
  a: Float32Array;
  b: Float32Array;
}

/** The renderer's job for a transition of the set, as the set engine gave it. */
function jobOf(tr: TransitionReport, tracks: PlannedTrack[], targetLufs: number): TransitionJob {
  return transitionJob(tr.plan, tracks[tr.index]!, tracks[tr.index + 1]!, targetLufs);
}

/** Each transition rendered once per deck, alone, at full level with the EQ open. */
async function renderStems(
  tracks: PlannedTrack[],
  transitions: TransitionReport[],
  targetLufs: number,
): Promise<Stems[]> {
  const out: Stems[] = [];
  for (const tr of transitions) {
    const job = jobOf(tr, tracks, targetLufs);
    const [stemA, stemB] = await Promise.all([
      renderThroughJunction(job, { solo: 'from' }),
      renderThroughJunction(job, { solo: 'to' }),
    ]);
    out.push({ index: tr.index, a: stemA.pcm, b: stemB.pcm });
  }
  return out;
}

/**
 * How strong a track's kick is on its beats, over the whole track (the median): the reference for "this beat has a
 * kick" in an overlap, which may lie wholly in a kickless breakdown (then there are no beats there to misalign).
 */
function trackKickReference(source: Float32Array, beats: number[]): number {
  return kickReference(beatKicks(source, MIX_RATE, beats));
}

/**
 * Beat alignment of the two decks in each beat-matched overlap, bar by bar, each deck's kicks in its own solo render: the
 * measurement the renderer's check makes before a transition plays (`deck-phase.ts`), here against each track's
 * whole-track kick strength.
 */
async function overlapAlignment(
  tracks: PlannedTrack[],
  transitions: TransitionReport[],
  stems: Stems[],
  kickRefs: number[],
  targetLufs: number,
): Promise<OverlapAlignment[]> {
  const out: OverlapAlignment[] = [];
  for (const tr of transitions) {
    if (tr.style !== 'blend' && tr.style !== 'filter-fade') continue;
    const stem = stems.find((x) => x.index === tr.index)!;
    // A transition the check nudged plays B on its grid moved by that much (its plan is the nudged one).
    const nudge = (tr.check?.nudgedMs ?? 0) / 1000;
    const beats = beatsInTransition(
      tr.plan,
      tracks[tr.index]!.analysis.beats,
      tracks[tr.index + 1]!.analysis.beats.map((t) => t + nudge),
    );
    const { pairs, kicksA, kicksB } = profileDecks({
      a: toMono(stem.a, 2),
      b: toMono(stem.b, 2),
      rate: MIX_RATE,
      beatsA: beats.a,
      beatsB: beats.b,
    });
    const [refA, refB] = [kickRefs[tr.index], kickRefs[tr.index + 1]];
    const errors = judgeKicks(pairs, kicksA, kicksB, refA, refB, MIX_RATE);
    const pooled = pooledPhase(pairs, kicksA, kicksB, refA, refB, MIX_RATE);
    const job = jobOf(tr, tracks, targetLufs);
    const placed = await placementPhase(
      tr.plan,
      stem.a,
      stem.b,
      job.from,
      job.to,
      tracks[tr.index]!.analysis.beats,
      tracks[tr.index + 1]!.analysis.beats.map((t) => t + nudge),
    );
    const s = summarizePhase(errors);
    out.push({
      index: tr.index,
      style: tr.style,
      barsCompared: s.barsCompared,
      beatsCompared: s.beatsCompared,
      errorsMs: errors.map((e) => Number(e.errorMs.toFixed(2))),
      medianAbsMs: s.medianAbsMs,
      maxAbsMs: s.maxAbsMs,
      ...(pooled ? { pooled: { errorMs: Number(pooled.errorMs.toFixed(2)), kicks: pooled.beats ?? 0 } } : {}),
      ...(placed ? { placement: { errorMs: Number(placed.errorMs.toFixed(2)), beats: placed.beats ?? 0 } } : {}),
    });
  }
  return out;
}

/**
 * The stretched deck of a transition (B's head alone, mono: overlap and ramp up to the junction) against its source
 * read through the plan's tempo schedule, in windows of onset envelopes.
 */
export async function stretchedDeckWindows(
  rendered: Float32Array,
  plan: TransitionPlan,
  b: PlannedTrack,
  gain: number,
  junctionSec: number,
): Promise<DeckTimingWindow[]> {
  const source = await decodeMono(b, gain);
  return deckTimingMs(
    rendered,
    source,
    b.analysis.beats,
    (t) => inputAfter(plan.schedule, plan.entrySec, t),
    0.5,
    junctionSec - 0.05,
  );
}

/** Each stretched deck against its schedule: the worst window in the overlap and in the ramp. */
async function stretchTiming(
  tracks: PlannedTrack[],
  transitions: TransitionReport[],
  stems: Stems[],
  targetLufs: number,
): Promise<StretchTiming[]> {
  const out: StretchTiming[] = [];
  for (const tr of transitions) {
    if (isUnity(tr.plan.schedule)) continue;
    const b = tracks[tr.index + 1]!;
    const rendered = toMono(stems.find((x) => x.index === tr.index)!.b, 2);
    const junction = transitionSpan(tr.plan, b.analysis.bpm).seconds;
    const windows = await stretchedDeckWindows(
      rendered,
      tr.plan,
      b,
      loudnessGain(b.analysis.loudnessLufs, targetLufs),
      junction,
    );
    const worst = (ws: typeof windows) => Math.max(0, ...ws.map((w) => Math.abs(w.offsetMs)));
    out.push({
      index: tr.index,
      windows: windows.length,
      overlapMaxMs: worst(windows.filter((w) => w.endSec <= tr.plan.overlapSec)),
      rampMaxMs: worst(windows.filter((w) => w.endSec > tr.plan.overlapSec)),
    });
  }
  return out;
}

function shortTermOf(stereo: Float32Array): number[] {
  const meter = new LoudnessMeter(MIX_RATE, 2);
  meter.push(stereo);
  return meter.shortTerm();
}

/**
 * Short-term loudness inside each transition: against each deck alone at the same moment (the mix must stay within
 * ±2 LU of the louder one), and, for information, against the 30 s of the set before and after it.
 */
function transitionLoudness(
  shortTerm: number[],
  transitions: TransitionReport[],
  stems: Stems[],
): TransitionLoudness[] {
  // shortTerm[i] is the 3 s window ending at (i + 30) × 100 ms.
  const at = (from: number, to: number): number[] =>
    shortTerm.filter((_, i) => (i + 30) / 10 - 1.5 >= from && (i + 30) / 10 - 1.5 < to);
  return transitions.map((tr) => {
    const before = median(at(tr.startSec - 30, tr.startSec - 2));
    const after = median(at(tr.endSec + 2, tr.endSec + 30));
    const inside = at(tr.startSec, tr.endSec).filter(Number.isFinite);
    const lo = Math.min(before, after);
    const hi = Math.max(before, after);
    const minIn = Math.min(...inside);
    const maxIn = Math.max(...inside);
    const stem = stems.find((x) => x.index === tr.index)!;
    const stA = shortTermOf(stem.a);
    const stB = shortTermOf(stem.b);
    const offset = Math.round(tr.startSec * 10);
    let worstVsDecks = 0;
    // From 3 s in (the first full window) to the end of the overlap plus ramp.
    for (let i = 0; i < Math.min(stA.length, stB.length); i++) {
      const reference = Math.max(stA[i]!, stB[i]!);
      const mix = shortTerm[offset + i];
      if (mix === undefined || !Number.isFinite(reference) || reference < -40) continue;
      worstVsDecks = Math.max(worstVsDecks, Math.abs(mix - reference));
    }
    return {
      index: tr.index,
      worstVsDecksLu: worstVsDecks,
      beforeLufs: before,
      afterLufs: after,
      minInsideLufs: minIn,
      maxInsideLufs: maxIn,
      worstExcessLu: Math.max(0, lo - minIn, maxIn - hi),
    };
  });
}

/**
 * Tempo continuity, measured on the rendered audio: every beat of the audible deck (A, then B) is
 * located in the set by aligning the source track's onset envelope around that beat with the set's (waveform
 * alignment is exact where an onset detector would be fooled by snare rolls and basslines); consecutive
 * inter-beat intervals are then compared. Beats whose alignment is weak (silence, breakdown pads) are left out.
 */
async function ibiContinuity(
  mono: Float32Array,
  tracks: PlannedTrack[],
  transitions: TransitionReport[],
  durationSec: number,
  targetLufs: number,
): Promise<{ ibi: TrackIbi[]; kickRefs: number[] }> {
  const setEnv = alignmentEnvelope(mono, MIX_RATE, BLOCK);
  // Only beats that carry a kick are placed: without one (breakdowns, pads) nothing in the audio marks the beat.
  const kickEnv = fineOnsetEnvelope(lowBand(mono, MIX_RATE), BLOCK);
  const out: TrackIbi[] = [];
  const kickRefs: number[] = [];
  for (let k = 0; k < tracks.length; k++) {
    let checked = 0;
    let maxJump = 0;
    let maxVsSource = 0;
    let maxSource = 0;
    const track = tracks[k]!;
    const source = await decodeMono(track, loudnessGain(track.analysis.loudnessLufs, targetLufs));
    kickRefs.push(trackKickReference(source, track.analysis.beats));
    const sums = squaredSums(source);
    const map = setTimeOfTrack(k, transitions, tracks);
    // Each beat is placed in the deck its onsets come from (A's bass may stay to the end of an 8-bar overlap, but not
    // its attacks).
    const { fromSec: from, toSec: to } = audibleWindow(k, transitions, tracks, durationSec - 1);
    const placed = track.analysis.beats
      .map((t) => ({ t, s: map(t) }))
      .filter(({ s }) => s >= from && s < to)
      .map(({ t, s }) => ({
        ...alignBeat(setEnv, sums, t, s),
        expected: s,
        kick: snapOnset(kickEnv, STEP, s, SNAP_WINDOW).strength,
      }));
    const kickThreshold = 0.5 * median(placed.map((p) => p.kick));
    for (let i = 2; i < placed.length; i++) {
      const [x, y, z] = [placed[i - 2]!, placed[i - 1]!, placed[i]!];
      if (
        Math.min(x.correlation, y.correlation, z.correlation) < MIN_ALIGNMENT ||
        Math.min(x.kick, y.kick, z.kick) < kickThreshold
      )
        continue;
      const jump = Math.abs((z.setSec - y.setSec) / (y.setSec - x.setSec) - 1) * 100;
      // The same, relative to the change the source itself has there (live recordings drift; the mix must not add to it).
      const sourceJump = (z.expected - y.expected) / (y.expected - x.expected);
      const added = Math.abs((z.setSec - y.setSec) / (y.setSec - x.setSec) / sourceJump - 1) * 100;
      checked++;
      maxJump = Math.max(maxJump, jump);
      maxVsSource = Math.max(maxVsSource, added);
      maxSource = Math.max(maxSource, Math.abs(sourceJump - 1) * 100);
    }
    out.push({
      title: track.title,
      checked,
      maxJumpPct: maxJump,
      maxVsSourcePct: maxVsSource,
      sourceMaxJumpPct: maxSource,
    });
  }
  return { ibi: out, kickRefs };
}

/** A whole track as the set's decks play it (48 kHz, loudness gain), mono; its length comes from the analysis. */
async function decodeMono(track: PlannedTrack, gain: number): Promise<Float32Array> {
  return toMono(
    await readDeckFrames({ file: track.file, fromSec: 0, gain }, Math.ceil(track.analysis.durationSec * MIX_RATE)),
    2,
  );
}

export async function measureSet(
  stereo: Float32Array,
  tracks: PlannedTrack[],
  transitions: TransitionReport[],
  targetLufs: number,
): Promise<SetQuality> {
  const peak = new TruePeakMeter(2);
  peak.push(stereo);
  const loud = new LoudnessMeter(MIX_RATE, 2);
  loud.push(stereo);
  const mono = toMono(stereo, 2);
  const durationSec = mono.length / MIX_RATE;
  const stems = await renderStems(tracks, transitions, targetLufs);
  // Each source is decoded once, for its beats' timing in the set and for how strong its kick usually is.
  const { ibi, kickRefs } = await ibiContinuity(mono, tracks, transitions, durationSec, targetLufs);
  const overlaps = await overlapAlignment(tracks, transitions, stems, kickRefs, targetLufs);
  const timing = await stretchTiming(tracks, transitions, stems, targetLufs);
  const loudness = transitionLoudness(loud.shortTerm(), transitions, stems);
  const bodyLufs = tracks.map((track, k) => {
    const from = transitions.find((x) => x.index === k - 1)?.endSec ?? 0;
    const to = transitions.find((x) => x.index === k)?.startSec ?? durationSec;
    const meter = new LoudnessMeter(MIX_RATE, 2);
    meter.push(stereo.subarray(Math.round(from * MIX_RATE) * 2, Math.round(to * MIX_RATE) * 2));
    return { title: track.title, lufs: meter.integrated() };
  });
  // The bass handed over in blends; the harmony kept apart in filter fades.
  const handovers: BandHandover[] = [];
  for (const tr of transitions.filter((x) => x.style === 'blend' || x.style === 'filter-fade')) {
    const stem = stems.find((x) => x.index === tr.index)!;
    const job = jobOf(tr, tracks, targetLufs);
    const [eqA, eqB] = await Promise.all([
      renderThroughJunction(job, { solo: 'from', soloThroughEq: true }),
      renderThroughJunction(job, { solo: 'to', soloThroughEq: true }),
    ]);
    const band = tr.style === 'blend' ? 'bass' : 'mids';
    handovers.push(
      measureBandHandover(
        tr.index,
        band,
        tr.plan,
        tracks[tr.index]!,
        { eq: eqA.pcm, open: stem.a },
        { eq: eqB.pcm, open: stem.b },
      ),
    );
  }
  const allAbs = overlaps.flatMap((o) => o.errorsMs.map(Math.abs));
  return {
    overlaps,
    stretchTiming: timing,
    phaseMedianMs: median(allAbs),
    phaseMaxMs: Math.max(...allAbs),
    truePeakDb: peak.truePeakDb(),
    transitions: loudness,
    worstLoudnessExcessLu: Math.max(0, ...loudness.map((l) => l.worstExcessLu)),
    worstVsDecksLu: Math.max(0, ...loudness.map((l) => l.worstVsDecksLu)),
    ibiChecked: ibi.reduce((n, t) => n + t.checked, 0),
    maxIbiJumpPct: Math.max(0, ...ibi.map((t) => t.maxJumpPct)),
    maxIbiJumpVsSourcePct: Math.max(0, ...ibi.map((t) => t.maxVsSourcePct)),
    ibiByTrack: ibi,
    integratedLufs: loud.integrated(),
    bodyLufs,
    bassSwaps: handovers.filter((h) => h.band === 'bass'),
    harmonyFades: handovers.filter((h) => h.band === 'mids'),
  };
}
