import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { TrackAnalysis } from '../../src/audio/analysis/analysis-types.ts';
import { lowBand } from '../../src/audio/analysis/fine-onsets.ts';
import { Biquad } from '../../src/audio/dsp/biquad.ts';
import { DeckReader } from '../../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../../src/audio/io/mix-format.ts';
import { toMono } from '../../src/audio/io/pcm.ts';
import { planTransition } from '../../src/audio/transition/transition-plan.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import { renderThroughJunction } from '../../src/audio/transition/transition-ramp.ts';
import { renderTransition } from '../../src/audio/transition/render-job.ts';
import { transitionReport } from '../../src/audio/set/set-report.ts';
import { measureBandHandover } from '../../src/eval/band-handover.ts';
import { handsCrate } from '../helpers/hands-crate.ts';

// Each test renders and measures minutes of audio: room for a machine that is busy with other work.
vi.setConfig({ testTimeout: 300_000 });

let tracks: PlannedTrack[] = [];

beforeAll(async () => {
  ({ tracks } = await handsCrate());
}, 180_000);

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

  it("never lays a drop over a drop for longer than a quick 4-bar blend, B's bass held out to its last beat", () => {
    const a = tracks[0]!.analysis;
    const b = tracks[1]!.analysis;
    const dropA = a.segments.find((s) => s.label === 'drop')!;
    const dropB = b.segments.find((s) => s.label === 'drop')!;
    const plan = planTransition(
      variant(tracks[0]!, { cues: { ...a.cues, mixOut: a.downbeats[dropA.startBar]! } }),
      variant(tracks[1]!, { cues: { ...b.cues, mixIn: b.downbeats[dropB.startBar]! } }),
    );
    const label = (segs: TrackAnalysis['segments'], bar: number) =>
      segs.find((s) => bar >= s.startBar && bar < s.endBar)?.label;
    const overlapsDrops = Array.from(
      { length: plan.overlapBars },
      (_, i) => label(a.segments, plan.exitBar + i) === 'drop' && label(b.segments, plan.entryBar + i) === 'drop',
    );
    expect(overlapsDrops.filter(Boolean).length).toBeLessThanOrEqual(4);
    expect(plan.style).toBe('blend');
    expect(plan.overlapBars).toBe(4);
    expect(plan.bassSwapBar).toBe(4);
    expect(plan.explanation).toContain("A's drop meets B's");
  });

  it("keeps the overlap to 4 bars when either track's bar phase is unsure, and the report says so", () => {
    const a = variant(tracks[0]!, { barPhaseConfidence: 0.9 });
    const sure = planTransition(a, variant(tracks[1]!, { barPhaseConfidence: 0.9 }));
    expect(sure.overlapBars).toBe(16);
    expect(sure.barPhaseUnsure).toBeUndefined();
    const unsureB = variant(tracks[1]!, { barPhaseConfidence: 0.3 });
    const plan = planTransition(a, unsureB);
    expect(plan.style).toBe('blend');
    expect(plan.overlapBars).toBe(4);
    expect(plan.bassSwapBar).toBe(4);
    expect(plan.exitSec).toBe(sure.exitSec);
    expect(plan.barPhaseUnsure).toBe(true);
    expect(plan.explanation).toContain(`unsure where the bars start (${tracks[1]!.title}'s (confidence 0.30))`);
    expect(transitionReport(0, { startSec: 0, endSec: plan.overlapSec }, a, unsureB, plan).barPhase).toEqual({
      from: 0.9,
      to: 0.3,
      unsure: true,
    });
    expect(transitionReport(0, { startSec: 0, endSec: sure.overlapSec }, a, tracks[1]!, sure).barPhase.unsure).toBe(
      false,
    );
  });

  it('does not blend clashing keys: a short filter fade', () => {
    const plan = planTransition(
      tracks[0]!,
      variant(tracks[1]!, { key: 'D#', scale: 'major', camelot: '5B', keyStrength: 0.9 }),
    );
    expect(plan.relation).toBe('clash');
    expect(plan.style).toBe('filter-fade');
    expect(plan.overlapBars).toBe(8);
    expect(plan.explanation).toContain('clash');
  });

  it("sweeps A out through a high-pass in the rendered filter fade, keeping the clashing harmonies apart: the two decks' mids barely meet", async () => {
    const b = variant(tracks[1]!, { key: 'D#', scale: 'major', camelot: '5B', keyStrength: 0.9 });
    const plan = planTransition(tracks[0]!, b);
    expect(plan.style).toBe('filter-fade');
    const job = {
      plan,
      from: { file: tracks[0]!.file, gain: 1, bpm: tracks[0]!.analysis.bpm },
      to: { file: b.file, gain: 1, bpm: b.analysis.bpm },
    };
    const take = async (solo: 'from' | 'to') => {
      const [eq, open] = await Promise.all([
        renderThroughJunction(job, { solo, soloThroughEq: true }),
        renderThroughJunction(job, { solo }),
      ]);
      return { eq: eq.pcm, open: open.pcm };
    };
    const deckA = await take('from');
    const mids = measureBandHandover(0, 'mids', plan, tracks[0]!, deckA, await take('to'));
    expect(mids.windows).toBeGreaterThan(100);
    expect(mids.bothInSec).toBeLessThan(0.25 * (60 / tracks[0]!.analysis.bpm));

    // A leaves through a swept high-pass: each frequency band when the cutoff passes it, not a band at a time.
    const beat = Math.round((60 / tracks[0]!.analysis.bpm) * MIX_RATE);
    const band = (stereo: Float32Array, lo: number, hi: number) => {
      const f = [
        Biquad.highpass(lo, MIX_RATE),
        Biquad.highpass(lo, MIX_RATE),
        Biquad.lowpass(hi, MIX_RATE),
        Biquad.lowpass(hi, MIX_RATE),
      ];
      return toMono(stereo.subarray(0, Math.round(plan.overlapSec * MIX_RATE) * 2), 2).map((x) =>
        f.reduce((v, q) => q.process(v), x),
      );
    };
    /** The first beat of the overlap where A's band, as played, is under half of itself with the filter open. */
    const leaves = (lo: number, hi: number): number => {
      const [played, open] = [band(deckA.eq, lo, hi), band(deckA.open, lo, hi)];
      const energy = (x: Float32Array, k: number) =>
        x.subarray(k * beat, (k + 1) * beat).reduce((e, v) => e + v * v, 0);
      for (let k = 0; k < played.length / beat - 1; k++) if (energy(played, k) < 0.25 * energy(open, k)) return k;
      return Infinity;
    };
    const [at500, at1500, at5000] = [leaves(400, 630), leaves(1200, 1900), leaves(4000, 6300)];
    console.log(
      `filter fade: mids both above half level ${(mids.bothInSec * 1000).toFixed(0)} ms; A's bands leave at beats ${at500} (500 Hz), ${at1500} (1.5 kHz), ${at5000} (5 kHz) of ${plan.overlapBars * 4}`,
    );
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

  it("echoes out without A's bass: the echo of its last beat is high-passed, so B's bass comes in alone", async () => {
    const plan = planTransition(tracks[0]!, variant(tracks[1]!, { bpm: 140 }));
    const a = tracks[0]!.analysis;
    const job = {
      plan,
      from: { file: tracks[0]!.file, gain: 1, bpm: a.bpm },
      to: { file: tracks[1]!.file, gain: 1, bpm: 140 },
    };
    const echo = await renderTransition(job, undefined, { solo: 'from', soloThroughEq: true });
    // A's last beat, decoded as the echo was fed, against its echo over the two beats after the exit.
    const beat = Math.round((60 / a.bpm) * MIX_RATE);
    const deck = new DeckReader({ file: tracks[0]!.file, fromSec: plan.exitSec - beat / MIX_RATE, gain: 1 });
    const last = toMono(await deck.read(beat), 2);
    deck.close();
    const tail = toMono(echo.pcm.subarray(Math.round(0.01 * MIX_RATE) * 2, 2 * beat * 2), 2);
    const db = (x: Float32Array) => 10 * Math.log10(x.reduce((e, v) => e + v * v, 0) / x.length + 1e-20);
    const bassShare = (x: Float32Array) => db(lowBand(x, MIX_RATE, 100)) - db(x);
    console.log(
      `echo-out: bass share of A's last beat ${bassShare(last).toFixed(1)} dB, of its echo ${bassShare(tail).toFixed(1)} dB`,
    );
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
