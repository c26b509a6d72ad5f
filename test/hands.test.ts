import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import type { TrackAnalysis } from '../src/audio/analysis-types.ts';
import { AnalyzerPool } from '../src/audio/analyzer-pool.ts';
import { Biquad } from '../src/audio/biquad.ts';
import { DeckReader, MIX_CHANNELS, MIX_RATE } from '../src/audio/deck-reader.ts';
import { concatSamples, toMono } from '../src/audio/pcm.ts';
import { SetEngine, setStartSec } from '../src/audio/set-engine.ts';
import type { SetEvent } from '../src/audio/set-engine.ts';
import { planTransition } from '../src/audio/transition-plan.ts';
import type { PlannedTrack } from '../src/audio/transition-plan.ts';
import { renderThroughJunction } from '../src/audio/transition-ramp.ts';
import { renderTransition } from '../src/audio/transition-render.ts';
import { TransitionRenderer } from '../src/audio/transition-renderer.ts';
import { decodeWavInterleaved } from '../src/audio/wav.ts';
import { mixSet } from '../src/cli/mix-command.ts';
import { measureBandHandover } from '../src/eval/band-handover.ts';
import { lowBand } from '../src/audio/fine-onsets.ts';
import { measureSet, stretchedDeckWindows } from '../src/eval/set-quality.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import type { SynthSection } from '../src/synth/track-synth.ts';
import { crashDecoders } from './helpers/crash-decoder.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const EDIT: SynthSection[] = [
  { label: 'intro', bars: 16 },
  { label: 'build', bars: 8 },
  { label: 'drop', bars: 16 },
  { label: 'breakdown', bars: 8 },
  { label: 'outro', bars: 16 },
];

let tmp: ReturnType<typeof makeTempDir>;
const tracks: PlannedTrack[] = [];
/** 4.8 % faster than the first track: a blend stretched past rubberband's independent-phase range. */
let laminarPartner: PlannedTrack;

beforeAll(async () => {
  tmp = makeTempDir();
  const pool = new AnalyzerPool({ size: 2 });
  const recipes = [
    { bpm: 124, key: 'A', scale: 'minor' as const, seed: 21 },
    { bpm: 126, key: 'E', scale: 'minor' as const, seed: 22 },
    { bpm: 125, key: 'C', scale: 'major' as const, seed: 23 },
    { bpm: 130, key: 'D', scale: 'minor' as const, seed: 24 },
  ];
  const made: PlannedTrack[] = [];
  await Promise.all(
    recipes.map(async (r, i) => {
      const file = path.join(tmp.dir, `t${i}.wav`);
      await writeSynthTrack(file, { ...r, sections: EDIT });
      made[i] = { id: `t${i}`, file, title: `t${i}`, analysis: await pool.analyze(file) };
    }),
  );
  tracks.push(...made.slice(0, 3));
  laminarPartner = made[3]!;
  await pool.close();
}, 180_000);
afterAll(() => tmp.cleanup());

function variant(t: PlannedTrack, change: Partial<TrackAnalysis>): PlannedTrack {
  return { ...t, analysis: { ...t.analysis, ...change } };
}

describe('transition planner', () => {
  it('blends outro over intro on phrase boundaries for compatible tracks, with the tempo matched to A', () => {
    const plan = planTransition(tracks[0]!, tracks[1]!);
    expect(plan.style).toBe('blend');
    expect(plan.overlapBars).toBe(16);
    expect(plan.exitSec).toBeCloseTo(tracks[0]!.analysis.cues.mixOut, 3);
    expect(tracks[0]!.analysis.phrases.some((p) => Math.abs(p - plan.exitSec) < 0.01)).toBe(true);
    expect(plan.tempo).toBeCloseTo(124 / 126, 3);
    expect(plan.rampBars).toBeGreaterThanOrEqual(8);
    expect(plan.schedule.at(-1)!.tempo).toBe(1);
    expect(plan.explanation).toMatch(/^16-bar EQ blend: 8A→9A \(adjacent\)/);
  });

  it('never lays a drop over a drop for longer than a quick 4-bar blend, B\'s bass held out to its last beat', () => {
    const a = tracks[0]!.analysis;
    const b = tracks[1]!.analysis;
    const dropA = a.segments.find((s) => s.label === 'drop')!;
    const dropB = b.segments.find((s) => s.label === 'drop')!;
    const plan = planTransition(
      variant(tracks[0]!, { cues: { ...a.cues, mixOut: a.downbeats[dropA.startBar]! } }),
      variant(tracks[1]!, { cues: { ...b.cues, mixIn: b.downbeats[dropB.startBar]! } }),
    );
    const label = (segs: TrackAnalysis['segments'], bar: number) => segs.find((s) => bar >= s.startBar && bar < s.endBar)?.label;
    const overlapsDrops = Array.from({ length: plan.overlapBars }, (_, i) => label(a.segments, plan.exitBar + i) === 'drop' && label(b.segments, plan.entryBar + i) === 'drop');
    expect(overlapsDrops.filter(Boolean).length).toBeLessThanOrEqual(4);
    expect(plan.style).toBe('blend');
    expect(plan.overlapBars).toBe(4);
    expect(plan.bassSwapBar).toBe(4);
    expect(plan.explanation).toContain("A's drop meets B's");
  });

  it('does not blend clashing keys: a short filter fade', () => {
    const plan = planTransition(tracks[0]!, variant(tracks[1]!, { key: 'D#', scale: 'major', camelot: '5B', keyStrength: 0.9 }));
    expect(plan.relation).toBe('clash');
    expect(plan.style).toBe('filter-fade');
    expect(plan.overlapBars).toBe(8);
    expect(plan.explanation).toContain('clash');
  });

  it('sweeps A out through a high-pass in the rendered filter fade, keeping the clashing harmonies apart: the two decks\' mids barely meet', async () => {
    const b = variant(tracks[1]!, { key: 'D#', scale: 'major', camelot: '5B', keyStrength: 0.9 });
    const plan = planTransition(tracks[0]!, b);
    expect(plan.style).toBe('filter-fade');
    const job = { plan, from: { file: tracks[0]!.file, gain: 1, bpm: tracks[0]!.analysis.bpm }, to: { file: b.file, gain: 1, bpm: b.analysis.bpm } };
    const take = async (solo: 'from' | 'to') => {
      const [eq, open] = await Promise.all([renderThroughJunction({ ...job, solo, soloThroughEq: true }), renderThroughJunction({ ...job, solo })]);
      return { eq: eq.pcm, open: open.pcm };
    };
    const deckA = await take('from');
    const mids = measureBandHandover(0, 'mids', plan, tracks[0]!, deckA, await take('to'));
    expect(mids.windows).toBeGreaterThan(100);
    expect(mids.bothInSec).toBeLessThan(0.25 * (60 / tracks[0]!.analysis.bpm));

    // A leaves through a swept high-pass: each frequency band when the cutoff passes it, not a band at a time.
    const beat = Math.round((60 / tracks[0]!.analysis.bpm) * MIX_RATE);
    const band = (stereo: Float32Array, lo: number, hi: number) => {
      const f = [Biquad.highpass(lo, MIX_RATE), Biquad.highpass(lo, MIX_RATE), Biquad.lowpass(hi, MIX_RATE), Biquad.lowpass(hi, MIX_RATE)];
      return toMono(stereo.subarray(0, Math.round(plan.overlapSec * MIX_RATE) * 2), 2).map((x) => f.reduce((v, q) => q.process(v), x));
    };
    /** The first beat of the overlap where A's band, as played, is under half of itself with the filter open. */
    const leaves = (lo: number, hi: number): number => {
      const [played, open] = [band(deckA.eq, lo, hi), band(deckA.open, lo, hi)];
      const energy = (x: Float32Array, k: number) => x.subarray(k * beat, (k + 1) * beat).reduce((e, v) => e + v * v, 0);
      for (let k = 0; k < played.length / beat - 1; k++) if (energy(played, k) < 0.25 * energy(open, k)) return k;
      return Infinity;
    };
    const [at500, at1500, at5000] = [leaves(400, 630), leaves(1200, 1900), leaves(4000, 6300)];
    console.log(`filter fade: mids both above half level ${(mids.bothInSec * 1000).toFixed(0)} ms; A's bands leave at beats ${at500} (500 Hz), ${at1500} (1.5 kHz), ${at5000} (5 kHz) of ${plan.overlapBars * 4}`);
    expect(at1500 - at500).toBeGreaterThanOrEqual(4);
    expect(at5000 - at1500).toBeGreaterThanOrEqual(2);
    // Brought in from dry: where the fade starts, A is its body's continuation.
    let worst = 0;
    for (let i = 0; i < 480; i++) worst = Math.max(worst, Math.abs(deckA.eq[i]! - deckA.open[i]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('echoes out when the tempi are too far apart to stretch', () => {
    const plan = planTransition(tracks[0]!, variant(tracks[1]!, { bpm: 140 }));
    expect(plan.style).toBe('echo-out');
    expect(plan.tempo).toBe(1);
    expect(plan.schedule).toEqual([]);
  });

  it('echoes out without A\'s bass: the echo of its last beat is high-passed, so B\'s bass comes in alone', async () => {
    const plan = planTransition(tracks[0]!, variant(tracks[1]!, { bpm: 140 }));
    const a = tracks[0]!.analysis;
    const job = { plan, from: { file: tracks[0]!.file, gain: 1, bpm: a.bpm }, to: { file: tracks[1]!.file, gain: 1, bpm: 140 } };
    const echo = await renderTransition({ ...job, solo: 'from', soloThroughEq: true });
    // A's last beat, decoded as the echo was fed, against its echo over the two beats after the exit.
    const beat = Math.round((60 / a.bpm) * MIX_RATE);
    const deck = new DeckReader({ file: tracks[0]!.file, fromSec: plan.exitSec - beat / MIX_RATE, gain: 1 });
    const last = toMono(await deck.read(beat), 2);
    deck.close();
    const tail = toMono(echo.pcm.subarray(Math.round(0.01 * MIX_RATE) * 2, 2 * beat * 2), 2);
    const db = (x: Float32Array) => 10 * Math.log10(x.reduce((e, v) => e + v * v, 0) / x.length + 1e-20);
    const bassShare = (x: Float32Array) => db(lowBand(x, MIX_RATE, 100)) - db(x);
    console.log(`echo-out: bass share of A's last beat ${bassShare(last).toFixed(1)} dB, of its echo ${bassShare(tail).toFixed(1)} dB`);
    expect(db(tail)).toBeGreaterThan(db(last) - 20);
    expect(bassShare(tail)).toBeLessThan(bassShare(last) - 20);
  });

  it('does not beat-match tracks played by hand: a drifting grid, or attacks that stray from a steady one', () => {
    // The synthesized tracks are machine-timed: their attacks sit on the grid.
    expect(tracks[0]!.analysis.beatJitterMs).toBeLessThan(1);
    expect(tracks[1]!.analysis.beatJitterMs).toBeLessThan(1);
    for (const change of [{ bpmConfidence: 0.6 }, { beatJitterMs: 8 }]) {
      const plan = planTransition(tracks[0]!, variant(tracks[1]!, change));
      expect(plan.style, JSON.stringify(change)).toBe('echo-out');
      expect(plan.schedule).toEqual([]);
      expect(plan.explanation).toContain(`the beats of ${tracks[1]!.title} are played by hand`);
    }
  });
});

/**
 * Where B's rendered head (stretched, then ramped back to its own tempo) meets the body that follows, against where
 * the body resumes in B's source: the lag (ms) that best aligns the last 2 s before the junction with the source.
 */
async function junctionOffsetMs(a: PlannedTrack, b: PlannedTrack): Promise<{ offsetMs: number; rampBars: number }> {
  const plan = planTransition(a, b);
  const job = { plan, from: { file: a.file, gain: 1, bpm: a.analysis.bpm }, to: { file: b.file, gain: 1, bpm: b.analysis.bpm }, solo: 'to' as const };
  const stem = await renderThroughJunction(job);
  const n = 2 * MIX_RATE;
  const search = Math.round(0.02 * MIX_RATE);
  const deck = new DeckReader({ file: b.file, fromSec: stem.bodyFromSec - 2 - search / MIX_RATE });
  const source = await deck.read(n + 2 * search);
  deck.close();
  return { offsetMs: (bestLag(stem.pcm, stem.junctionFrame - n, source, search, n, search) / MIX_RATE) * 1000, rampBars: plan.rampBars };
}

/** The lag (frames, within ±search) of `y` from frame `yFrom` that best matches `x` from `xFrom` over `n` frames, to the waveform. */
/** Level (dB re full scale) of interleaved stereo between two set times. */
function rmsDb(stereo: Float32Array, fromSec: number, toSec: number): number {
  let e = 0;
  const a = Math.round(fromSec * MIX_RATE) * 2;
  const b = Math.round(toSec * MIX_RATE) * 2;
  for (let i = a; i < b; i++) e += stereo[i]! ** 2;
  return 10 * Math.log10(e / (b - a) + 1e-20);
}

function bestLag(x: Float32Array, xFrom: number, y: Float32Array, yFrom: number, n: number, search: number): number {
  let best = -Infinity;
  let lagAtBest = 0;
  for (let lag = -search; lag <= search; lag++) {
    let dot = 0;
    for (let i = 0; i < n; i += 2) dot += x[(xFrom + i) * MIX_CHANNELS]! * y[(yFrom + i + lag) * MIX_CHANNELS]!;
    if (dot > best) [best, lagAtBest] = [dot, lag];
  }
  return lagAtBest;
}

/** B's rendered head (overlap, then the ramp back to its own tempo) against its source mapped through the schedule. */
async function stretchedDeckTiming(a: PlannedTrack, b: PlannedTrack) {
  const plan = planTransition(a, b);
  const stem = await renderThroughJunction({ plan, from: { file: a.file, gain: 1, bpm: a.analysis.bpm }, to: { file: b.file, gain: 1, bpm: b.analysis.bpm }, solo: 'to' });
  const windows = await stretchedDeckWindows(toMono(stem.pcm, 2), plan, b, 1, stem.junctionFrame / MIX_RATE);
  return { plan, windows, splitSec: Math.round(stem.renderedFrames / 2) / MIX_RATE, handoffSec: stem.handoffFrame / MIX_RATE, junctionSec: stem.junctionFrame / MIX_RATE };
}

describe('the stretched deck', () => {
  // ±1.6 % (rubberband's independent phase) and ±4.6 % (laminar), each way.
  const pairs = (): [PlannedTrack, PlannedTrack][] => [[tracks[0]!, tracks[1]!], [tracks[1]!, tracks[0]!], [tracks[0]!, laminarPartner], [laminarPartner, tracks[0]!]];

  it('keeps its beats on the tempo schedule through the overlap, with no jump where the two halves of the head meet', async () => {
    // Before rubberband's start-up was allowed for and both halves started at the tempo they keep, the overlap sat
    // 1.6–3.5 ms off and the halves met 1.3–5.4 ms apart.
    for (const [a, b] of pairs()) {
      const { plan, windows, splitSec } = await stretchedDeckTiming(a, b);
      const label = `${a.analysis.bpm} → ${b.analysis.bpm}: ${windows.map((w) => `${w.atSec.toFixed(1)} s ${w.offsetMs.toFixed(2)}`).join(', ')}`;
      expect(plan.style, label).toBe('blend');
      const overlap = windows.filter((w) => w.endSec <= plan.overlapSec);
      expect(overlap.length, label).toBeGreaterThanOrEqual(4);
      expect(Math.max(...overlap.map((w) => Math.abs(w.offsetMs))), label).toBeLessThanOrEqual(0.5);
      const before = windows.filter((w) => w.endSec <= splitSec).at(-1)!;
      const after = windows.find((w) => w.atSec >= splitSec)!;
      expect(after.atSec - before.atSec, label).toBeLessThanOrEqual(9);
      expect(Math.abs(after.offsetMs - before.offsetMs), label).toBeLessThanOrEqual(0.5);
      // The ramp: within a beat envelope's 1.5 ms (the junction itself is matched to the waveform, below).
      expect(Math.max(...windows.map((w) => Math.abs(w.offsetMs))), label).toBeLessThanOrEqual(1.5);
    }
  });

  it('streams its ramp from where the render ahead stops, continuing it to the waveform', async () => {
    // The ramp back to B's own tempo is B alone: the set streams it with B's body instead of rendering it ahead.
    for (const [a, b] of pairs()) {
      const plan = planTransition(a, b);
      const job = { plan, from: { file: a.file, gain: 1, bpm: a.analysis.bpm }, to: { file: b.file, gain: 1, bpm: b.analysis.bpm }, solo: 'to' as const };
      const [streamed, ahead] = await Promise.all([renderThroughJunction(job), renderTransition({ ...job, rampAhead: true })]);
      const label = `${a.analysis.bpm} → ${b.analysis.bpm}`;
      expect(ahead.handoffFrame).toBe(ahead.junctionFrame);
      expect(streamed.junctionFrame).toBe(ahead.junctionFrame);
      expect(streamed.renderedFrames / MIX_RATE, label).toBeLessThan(plan.overlapSec + 4);
      expect((streamed.junctionFrame - streamed.handoffFrame) / MIX_RATE, label).toBeGreaterThan(10);
      // The streamed ramp against the same ramp rendered ahead, over its first second (the crossfade included):
      // measured 0.06–0.17 ms apart (two rubberband runs, started at different points of the schedule).
      const n = MIX_RATE;
      const search = Math.round(0.005 * MIX_RATE);
      const lag = bestLag(streamed.pcm, streamed.handoffFrame, ahead.pcm, streamed.handoffFrame, n, search);
      expect(Math.abs((lag / MIX_RATE) * 1000), label).toBeLessThanOrEqual(0.25);
    }
  });

  it('hands over to its body where the source resumes, to the waveform, after ramps in both phase modes', async () => {
    // Without allowing for rubberband taking up tempo changes ahead of their commands, this was 2.4–4.3 ms.
    for (const [a, b] of pairs()) {
      const { offsetMs, rampBars } = await junctionOffsetMs(a, b);
      expect(rampBars).toBeGreaterThanOrEqual(8);
      expect(Math.abs(offsetMs), `${a.analysis.bpm} → ${b.analysis.bpm}`).toBeLessThanOrEqual(1);
    }
  });
});

describe('half- and double-time pairs', () => {
  it('mixes 86 BPM into 170 BPM at double time, beat-aligned, B\'s drop and ramp counted in its own bars (and plans the way back at half time)', async () => {
    const pool = new AnalyzerPool({ size: 2 });
    const made = await Promise.all(
      // A without a breakdown, so that its exit has a beat to match: its outro.
      [{ bpm: 86, key: 'A', seed: 31, sections: EDIT.filter((x) => x.label !== 'breakdown') }, { bpm: 170, key: 'E', seed: 32, sections: EDIT }].map(async (r, i) => {
        const file = path.join(tmp.dir, `octave-${i}.wav`);
        await writeSynthTrack(file, { ...r, scale: 'minor' });
        return { id: `octave-${i}`, file, title: `octave-${i}`, analysis: await pool.analyze(file) };
      }),
    );
    await pool.close();
    const [a, b] = made as [PlannedTrack, PlannedTrack];
    expect(a.analysis.bpm).toBeCloseTo(86, 0);
    expect(b.analysis.bpm).toBeCloseTo(170, 0);
    const plan = planTransition(a, b);
    expect(plan.style).toBe('blend');
    expect(plan.octave).toBe(true);
    expect(plan.tempo).toBeCloseTo((2 * a.analysis.bpm) / b.analysis.bpm, 4);
    // B's intro and build (24 of its bars, 12 of A's) are its runway: the overlap ends before B's drop.
    const firstDrop = b.analysis.segments.find((x) => x.label === 'drop')!;
    const overlapEndInB = plan.entrySec + plan.overlapSec * plan.tempo;
    expect(overlapEndInB).toBeLessThanOrEqual(b.analysis.downbeats[firstDrop.startBar]! + 0.05);
    expect(plan.overlapBars).toBe(8);
    expect(plan.explanation).toMatch(/^8-bar EQ blend: 8A→9A \(adjacent\), B stretched \+1\.\d % at double time/);
    // And the other way, 170 into 86 at half time: B's bars are twice A's, so its ramp spans fewer of them.
    const back = planTransition(b, a);
    expect(back.octave).toBe(true);
    expect(back.tempo).toBeCloseTo(b.analysis.bpm / (2 * a.analysis.bpm), 4);
    expect(back.explanation).toMatch(/ at half time; then B ramps back to 86\.0 BPM over 8 bars$/);

    const scorer = await MixScorer.load();
    const result = await mixSet([a, b], path.join(tmp.dir, 'octave-set.wav'), 'queue', -14, scorer);
    await scorer.close();
    const q = await measureSet(decodeWavInterleaved(readFileSync(path.join(tmp.dir, 'octave-set.wav'))).stereo, result.tracks, result.transitions, -14);
    console.log(`double time: ${q.overlaps[0]?.beatsCompared} beats, phase median ${q.phaseMedianMs.toFixed(2)} ms, max ${q.phaseMaxMs.toFixed(2)} ms; IBI ${q.maxIbiJumpPct.toFixed(2)} %; bass both in ${q.bassSwaps[0]?.bothInSec.toFixed(3)} s`);
    expect(q.overlaps[0]!.beatsCompared).toBeGreaterThanOrEqual(16);
    expect(q.phaseMedianMs).toBeLessThanOrEqual(5);
    expect(q.phaseMaxMs).toBeLessThanOrEqual(20);
    expect(q.maxIbiJumpPct).toBeLessThanOrEqual(1.5);
    expect(q.truePeakDb).toBeLessThanOrEqual(-1);
    expect(q.stretchTiming[0]!.overlapMaxMs).toBeLessThan(1);
    expect(q.bassSwaps[0]!.bothInSec).toBeLessThan(0.5 * (60 / a.analysis.bpm));
  });
});

describe('set engine', () => {
  it('renders a continuous set whose overlaps are beat-aligned, with a bass swap, no tempo jump, no gap and true peak ≤ -1 dBTP', async () => {
    const scorer = await MixScorer.load();
    const out = path.join(tmp.dir, 'set.wav');
    const result = await mixSet(tracks, out, 'queue', -14, scorer);
    await scorer.close();
    expect(result.report.transitions).toHaveLength(2);
    const { stereo } = decodeWavInterleaved(readFileSync(out));
    const frames = stereo.length / 2;
    const q = await measureSet(stereo, result.tracks, result.transitions, -14);
    console.log(`set: phase median ${q.phaseMedianMs.toFixed(2)} ms max ${q.phaseMaxMs.toFixed(2)} ms; TP ${q.truePeakDb.toFixed(2)}; vs decks ${q.worstVsDecksLu.toFixed(2)} LU; IBI ${q.maxIbiJumpPct.toFixed(2)} % over ${q.ibiChecked}; ${q.integratedLufs.toFixed(2)} LUFS, bodies ${q.bodyLufs.map((b) => b.lufs.toFixed(2)).join(' ')}`);
    expect(q.overlaps.every((o) => o.beatsCompared >= 16)).toBe(true);
    expect(q.phaseMedianMs).toBeLessThanOrEqual(5);
    expect(q.phaseMaxMs).toBeLessThanOrEqual(20);
    expect(q.truePeakDb).toBeLessThanOrEqual(-1);
    expect(q.worstVsDecksLu).toBeLessThanOrEqual(2);
    expect(q.ibiChecked).toBeGreaterThan(100);
    expect(q.maxIbiJumpPct).toBeLessThanOrEqual(1.5);
    // Loudness matched to the target over the whole set (each track is gained by its own integrated loudness).
    expect(Math.abs(q.integratedLufs + 14)).toBeLessThanOrEqual(1);
    // Never two basslines at full level: above half level together for under half a beat (a one-beat equal-power
    // swap: a third), the swap on A's phrase boundary (its middle half a beat before, B's bass full on the downbeat).
    expect(q.bassSwaps.map((b) => b.index)).toEqual(result.transitions.filter((t) => t.style === 'blend').map((t) => t.index));
    for (const b of q.bassSwaps) {
      const beatSec = 60 / result.tracks[b.index]!.analysis.bpm;
      expect(b.windows, `transition ${b.index}`).toBeGreaterThan(100);
      expect(b.bothInSec, `transition ${b.index}`).toBeLessThan(0.5 * beatSec);
      expect(b.crossoverBeats, `transition ${b.index}`).toBeCloseTo(-0.5, 0);
    }
    // No gap: every 20 ms block before the final fade carries sound.
    const block = MIX_RATE / 50;
    for (let b = 0; b < Math.floor(frames / block) - 150; b++) {
      let e = 0;
      for (let i = 2 * b * block; i < 2 * (b + 1) * block; i++) e += stereo[i]! * stereo[i]!;
      expect(10 * Math.log10(e / (2 * block) + 1e-20), `block at ${(b / 50).toFixed(2)} s`).toBeGreaterThan(-60);
    }
  });

  async function collect(engine: SetEngine, onFrames: (seconds: number) => void): Promise<number> {
    let frames = 0;
    for await (const chunk of engine.stream()) {
      frames += chunk.length / MIX_CHANNELS;
      onFrames(frames / MIX_RATE);
    }
    return frames / MIX_RATE;
  }

  it('skip mixes out at the next phrase of the playing track', async () => {
    const renderer = new TransitionRenderer();
    const engine = new SetEngine(tracks.slice(0, 2), { renderer });
    let asked = -1;
    await collect(engine, (s) => {
      if (asked < 0 && s > 20) {
        // Track time of the request: set time plus where the set started in the first track.
        s += setStartSec(tracks[0]!);
        asked = s;
        engine.skip();
      }
    });
    await renderer.close();
    const tr = engine.report[0]!;
    const a = tracks[0]!.analysis;
    const bar = (4 * 60) / a.bpm;
    const expected = a.phrases.find((p) => p >= asked + 2 * bar)!;
    expect(tr.plan.exitSec).toBeCloseTo(expected, 3);
    // Set time runs from the first track's first downbeat.
    expect(tr.startSec).toBeCloseTo(expected - setStartSec(tracks[0]!), 2);
    expect(tr.startSec).toBeLessThan(a.cues.mixOut);
  });

  it('stop fades out on the next downbeat and ends the stream', async () => {
    const renderer = new TransitionRenderer();
    const engine = new SetEngine(tracks.slice(0, 2), { renderer });
    let asked = -1;
    const total = await collect(engine, (s) => {
      if (asked < 0 && s > 15) {
        asked = s + setStartSec(tracks[0]!);
        engine.stop();
      }
    });
    await renderer.close();
    const a = tracks[0]!.analysis;
    const next = a.downbeats.find((d) => d > asked + 0.05)!;
    // Ends one beat after that downbeat (plus the limiter's 5 ms look-ahead).
    const end = total + setStartSec(tracks[0]!);
    expect(end).toBeGreaterThan(next);
    expect(end).toBeLessThan(next + 60 / a.bpm + 0.05);
    expect(engine.report).toHaveLength(0);
  });
});

describe('when a transition is not rendered in time', () => {
  for (const [name, render] of [
    ['a renderer that is too slow', () => new Promise<never>(() => undefined)],
    ['a renderer that crashed', () => Promise.reject(new Error('ffmpeg crashed (SIGSEGV)'))],
  ] as const) {
    it(`falls back to a cut on the downbeat, never to silence: ${name}`, async () => {
      const engine = new SetEngine(tracks.slice(0, 2), { renderer: { render }, renderDeadlineMs: 50 });
      const chunks: Float32Array[] = [];
      for await (const chunk of engine.stream()) chunks.push(chunk);
      const tr = engine.report[0]!;
      expect(tr.style).toBe('cut');
      expect(tr.explanation).toBe('the blend was not rendered in time, so a cut on the downbeat instead');
      // The set goes on with B from its entry downbeat, and there is sound on both sides of the cut.
      const stereo = concatSamples(chunks);
      expect(rmsDb(stereo, tr.startSec - 0.5, tr.startSec - 0.01)).toBeGreaterThan(-40);
      expect(rmsDb(stereo, tr.startSec + 0.01, tr.startSec + 0.5)).toBeGreaterThan(-40);
      expect(engine.positionSec).toBeGreaterThan(tr.startSec + 60);
    });
  }

  it('keeps only the newest transitions in its report when told to, as a never-ending set does', async () => {
    let turn = 0;
    let transitions = 0;
    const engine = new SetEngine([tracks[0]!], {
      renderer: { render: () => Promise.reject(new Error('ffmpeg crashed (SIGSEGV)')) },
      renderDeadlineMs: 50,
      reportLimit: 2,
      nextTrack: async () => tracks[1 + (turn++ % 2)],
      onEvent: (e) => {
        if (e.type === 'transition' && ++transitions === 5) engine.stop();
      },
    });
    for await (const chunk of engine.stream()) void chunk;
    expect(transitions).toBe(5);
    expect(engine.report.map((t) => t.index)).toEqual([3, 4]);
  });
});

/** The set engine's output lags what it produces by the limiter's 5 ms look-ahead. */
const LIMITER_DELAY_FRAMES = Math.round(0.005 * MIX_RATE);

/**
 * How loud the set is where a deck stopped short (set frame `frame`, as produced): the peak over the 0.5 ms either
 * side of the seam, relative to the peak over the 50 ms before it. An abrupt stop leaves the seam at full level.
 */
function seamLevel(stereo: Float32Array, frame: number): number {
  const seam = frame + LIMITER_DELAY_FRAMES;
  const peak = (from: number, to: number): number => {
    let p = 0;
    for (let i = from * 2; i < to * 2; i++) p = Math.max(p, Math.abs(stereo[i]!));
    return p;
  };
  return peak(seam - 24, seam + 24) / peak(frame - 2400, frame);
}

describe('when a decoder dies mid-set', () => {
  async function play(set: PlannedTrack[], atSec: number, onCrashPoint: () => void): Promise<{ stereo: Float32Array; engine: SetEngine; events: SetEvent[]; crashedAtSec: number }> {
    const renderer = new TransitionRenderer();
    const events: SetEvent[] = [];
    const engine = new SetEngine(set, { renderer, onEvent: (e) => events.push(e) });
    const chunks: Float32Array[] = [];
    let crashedAtSec = NaN;
    try {
      for await (const chunk of engine.stream()) {
        chunks.push(chunk);
        if (Number.isNaN(crashedAtSec) && engine.positionSec >= atSec) {
          crashedAtSec = engine.positionSec;
          onCrashPoint();
          // Let the dead decoder's exit be seen before the next read, as it would be at real-time pace.
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    } finally {
      await renderer.close();
    }
    return { stereo: concatSamples(chunks), engine, events, crashedAtSec };
  }

  it('reopens the deck where it stopped: the set goes on as if nothing happened', async () => {
    const set = tracks.slice(0, 2);
    const reference = await play(set, 30, () => undefined);
    let killed = 0;
    const crashed = await play(set, 30, () => (killed = crashDecoders(set[0]!.file, 10)));
    expect(killed).toBe(1);
    const errors = crashed.events.filter((e) => e.type === 'deck-error');
    expect(errors.map((e) => e.type === 'deck-error' && [e.track.id, e.recovered])).toEqual([[set[0]!.id, true]]);
    expect(crashed.engine.report.map((t) => t.style)).toEqual(reference.engine.report.map((t) => t.style));
    expect(crashed.stereo.length).toBe(reference.stereo.length);
    // The same audio on both sides of the reopening, to float rounding (the deck reopens on the same resampling grid).
    let worst = 0;
    for (let i = 0; i < reference.stereo.length; i++) worst = Math.max(worst, Math.abs(crashed.stereo[i]! - reference.stereo[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('cuts to the next track when the deck cannot be reopened (its file is gone)', async () => {
    const copy = path.join(tmp.dir, 'vanishing.wav');
    copyFileSync(tracks[0]!.file, copy);
    const set = [{ ...tracks[0]!, id: 'vanishing', file: copy }, tracks[1]!];
    const crashed = await play(set, 30, () => {
      rmSync(copy);
      crashDecoders(copy, 10);
    });
    const errors = crashed.events.flatMap((e) => (e.type === 'deck-error' ? [e.recovered] : []));
    expect(errors).toEqual([true, true, false]);
    const tr = crashed.engine.report[0]!;
    expect(tr.style).toBe('cut');
    expect(tr.explanation).toMatch(/could not be played on/);
    // Cut where the deck was lost, not at the planned exit.
    expect(tr.startSec).toBeGreaterThanOrEqual(crashed.crashedAtSec);
    expect(tr.startSec).toBeLessThan(crashed.crashedAtSec + 1);
    expect(rmsDb(crashed.stereo, tr.startSec + 0.01, tr.startSec + 0.5)).toBeGreaterThan(-40);
    expect(crashed.engine.positionSec).toBeGreaterThan(tr.startSec + 60);
    // The lost track fades out over the 5 ms still in the limiter, and the next fades in: no click at the seam.
    expect(seamLevel(crashed.stereo, Math.round(tr.startSec * MIX_RATE))).toBeLessThan(0.2);
  });

  it('lets the next track\'s body take over, without a click, when its tempo ramp cannot be decoded', async () => {
    const copy = path.join(tmp.dir, 'vanishing-b.wav');
    copyFileSync(tracks[1]!.file, copy);
    const set = [tracks[0]!, { ...tracks[1]!, id: 'vanishing-b', file: copy }, tracks[2]!];
    const renderer = new TransitionRenderer();
    const failures: { recovered: boolean; frame: number }[] = [];
    const engine: SetEngine = new SetEngine(set, {
      renderer,
      onEvent: (e) => {
        // The transition into B is rendered; B's file goes before its streamed ramp opens.
        if (e.type === 'transition' && e.report.index === 0) rmSync(copy);
        if (e.type === 'deck-error' && e.track.id === 'vanishing-b') failures.push({ recovered: e.recovered, frame: Math.round(engine.positionSec * MIX_RATE) });
      },
    });
    const chunks: Float32Array[] = [];
    try {
      for await (const chunk of engine.stream()) chunks.push(chunk);
    } finally {
      await renderer.close();
    }
    const stereo = concatSamples(chunks);
    expect(engine.report[0]!.style).toBe('blend');
    expect(engine.report[0]!.rampBars).toBeGreaterThanOrEqual(8);
    // The ramp: two reopenings, then given up (B plays on); B's body: two reopenings, then lost (a cut to C).
    expect(failures.map((f) => f.recovered)).toEqual([true, true, true, true, true, false]);
    const rampLost = failures[2]!.frame;
    expect(rampLost).toBeGreaterThan(Math.round(engine.report[0]!.startSec * MIX_RATE));
    expect(seamLevel(stereo, rampLost)).toBeLessThan(0.2);
    expect(engine.report[1]!.explanation).toBe('t1 could not be played on, so a cut to t2');
    expect(seamLevel(stereo, Math.round(engine.report[1]!.startSec * MIX_RATE))).toBeLessThan(0.2);
  });

  it('ends the stream with the decoder\'s error when there is no next track to cut to', async () => {
    const copy = path.join(tmp.dir, 'vanishing-alone.wav');
    copyFileSync(tracks[0]!.file, copy);
    const played = play([{ ...tracks[0]!, id: 'alone', file: copy }], 30, () => {
      rmSync(copy);
      crashDecoders(copy, 10);
    });
    await expect(played).rejects.toMatchObject({ name: 'AudioInputError', code: 'decoder-crashed' });
  });

  it('ends rather than cut from one unplayable track to the next forever', async () => {
    const missing = { ...tracks[0]!, id: 'missing', file: path.join(tmp.dir, 'never-there.wav') };
    const events: SetEvent[] = [];
    const engine = new SetEngine([missing], { renderer: { render: () => Promise.reject(new Error('no audio')) }, nextTrack: async () => missing, onEvent: (e) => events.push(e) });
    const drain = async () => {
      for await (const chunk of engine.stream()) void chunk;
    };
    await expect(drain()).rejects.toMatchObject({ code: 'decoder-crashed' });
    expect(events.filter((e) => e.type === 'deck-error' && !e.recovered)).toHaveLength(2);
  });
});

describe('minidj mix', () => {
  it('writes an Ogg Opus set and a report with every transition', () => {
    const out = path.join(tmp.dir, 'cli-set.ogg');
    const reportFile = path.join(tmp.dir, 'report.json');
    const run = spawnSync(process.execPath, [path.resolve('bin/minidj.js'), 'mix', ...tracks.map((t) => t.file), '--out', out, '--report', reportFile, '--order', 'queue'], {
      encoding: 'utf8', env: { ...process.env, MINIDJ_DB: path.join(tmp.dir, 'cli.sqlite') },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString('ascii')).toBe('OggS');
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    expect(report.transitions).toHaveLength(2);
    for (const t of report.transitions) {
      for (const field of ['startSec', 'from', 'to', 'style', 'overlapBars', 'stretchPct', 'score', 'explanation']) expect(t, field).toHaveProperty(field);
      expect(t.from).toHaveProperty('bpm');
      expect(t.to).toHaveProperty('camelot');
    }
    expect(run.stdout).toMatch(/^Wrote .*cli-set\.ogg: \d+:\d\d with 2 transitions/);
  });
});
