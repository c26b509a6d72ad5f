import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MIX_RATE } from '../../src/audio/io/mix-format.ts';
import { locateClick, probeClick } from '../../src/audio/io/rubberband-timing.ts';
import { encodeWav } from '../../src/audio/io/wav.ts';
import { transitionReport } from '../../src/audio/set/set-report.ts';
import { outputDuration, tempoRamp } from '../../src/audio/transition/tempo-schedule.ts';
import type { TempoSchedule } from '../../src/audio/transition/tempo-schedule.ts';
import type { PlannedTrack, TransitionPlan } from '../../src/audio/transition/transition-plan.ts';
import { stretchedDeck } from '../../src/audio/transition/render-job.ts';

vi.setConfig({ testTimeout: 60_000 });

const SOURCE_RATE = 44_100;
const SEC = 22;
const BEAT = 0.5;
const ENTRY = 2;
const OVERLAP_INPUT_SEC = 8;
const TONE_HZ = 1000;
let dir: string;
let file: string;

/** Left: a click on every beat (the beat grid); right: a steady 1 kHz tone (the pitch). At 44.1 kHz, like most music. */
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vinyl-'));
  file = path.join(dir, 'clicks.wav');
  const n = SEC * SOURCE_RATE;
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SOURCE_RATE;
    const beat = Math.round(t / BEAT) * BEAT;
    left[i] = 0.5 * probeClick(t - beat);
    right[i] = 0.3 * Math.sin(2 * Math.PI * TONE_HZ * t);
  }
  writeFileSync(file, encodeWav([left, right], SOURCE_RATE, 'float32'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** B's schedule as the planner makes it: `tempo` through the overlap, then back to 1 one beat at a time over 4 bars. */
const scheduleAt = (tempo: number): TempoSchedule => [
  { atSec: ENTRY, tempo },
  ...tempoRamp(ENTRY + OVERLAP_INPUT_SEC, BEAT, 16, tempo, 1),
];

/** B's deck as the render opens it for a plan with this schedule, from its entry, read whole. */
async function renderB(schedule: TempoSchedule): Promise<{ left: Float32Array; right: Float32Array; outSec: number }> {
  const plan = { entrySec: ENTRY, schedule } as TransitionPlan;
  const job = { plan, from: { file, gain: 1, bpm: 120 }, to: { file, gain: 1, bpm: 120 } };
  const outSec = outputDuration(schedule, ENTRY, SEC - 1.5);
  const frames = Math.round(outSec * MIX_RATE);
  const deck = stretchedDeck(job, 0, frames);
  try {
    const pcm = await deck.read(frames);
    const left = new Float32Array(frames);
    const right = new Float32Array(frames);
    for (let i = 0; i < frames; i++) [left[i], right[i]] = [pcm[2 * i]!, pcm[2 * i + 1]!];
    return { left, right, outSec };
  } finally {
    deck.close();
  }
}

/** The tone's frequency over output seconds [from, to), from its upward zero crossings (interpolated). */
function toneHz(x: Float32Array, from: number, to: number): number {
  const crossings: number[] = [];
  for (let i = Math.round(from * MIX_RATE); i < Math.round(to * MIX_RATE); i++) {
    if (x[i - 1]! < 0 && x[i]! >= 0) crossings.push(i - 1 + x[i - 1]! / (x[i - 1]! - x[i]!));
  }
  return ((crossings.length - 1) * MIX_RATE) / (crossings.at(-1)! - crossings[0]!);
}

/** Each click against the schedule (ms): where it is in the output, less where the schedule puts its beat. */
function clickErrorsMs(left: Float32Array, schedule: TempoSchedule, outSec: number): number[] {
  const errors: number[] = [];
  // `locateClick` reads interleaved stereo: the left channel doubled.
  const stereo = new Float32Array(left.length * 2);
  for (let i = 0; i < left.length; i++) stereo[2 * i] = stereo[2 * i + 1] = left[i]!;
  for (let beat = ENTRY + BEAT; ; beat += BEAT) {
    const expected = outputDuration(schedule, ENTRY, beat);
    if (expected > outSec - 0.05) break;
    errors.push((locateClick(stereo, expected, 0.005) - expected) * 1000);
  }
  return errors;
}

describe('vinyl mode', () => {
  it('resamples a tempo change within 1 %: the pitch moves with the tempo, every beat exactly on the schedule; beyond it, stretches', async () => {
    const schedule = scheduleAt(1.008);
    const { left, right, outSec } = await renderB(schedule);
    // Through the overlap B plays 0.8 % fast: its 1 kHz tone at 1008 Hz (+13.8 cents); rubberband would keep 1000.
    const cents = 1200 * Math.log2(toneHz(right, 0.5, 7.5) / TONE_HZ);
    expect(cents).toBeGreaterThan(13.3);
    expect(cents).toBeLessThan(14.3);
    // After the ramp, at its own tempo, its own pitch again.
    expect(Math.abs(1200 * Math.log2(toneHz(right, outSec - 3, outSec - 0.2) / TONE_HZ))).toBeLessThan(0.5);
    // Every click where the schedule maps its beat: through the overlap, the ramp and after it.
    const errors = clickErrorsMs(left, schedule, outSec);
    expect(errors.length).toBeGreaterThan(30);
    expect(Math.max(...errors.map(Math.abs))).toBeLessThan(0.05);
    // Beyond the bound, time-stretched: at 1.2 % the pitch stays (vinyl would be +20.6 cents; rubberband's phase
    // vocoder moves the zero crossings a few cents).
    const stretched = await renderB(scheduleAt(1.012));
    expect(Math.abs(1200 * Math.log2(toneHz(stretched.right, 1, 7) / TONE_HZ))).toBeLessThan(5);
  });

  it('reports the pitch change of each transition: vinyl within the bound, none when stretched or not', () => {
    const track = (bpm: number) =>
      ({
        id: 't',
        file,
        title: 't',
        analysis: { bpm, key: 'A', scale: 'minor', camelot: '8A' },
      }) as unknown as PlannedTrack;
    const report = (tempo: number) =>
      transitionReport(0, { startSec: 0, endSec: 1 }, track(120), track(120 / tempo), {
        style: 'blend',
        tempo,
        stretchPct: (tempo - 1) * 100,
        schedule: scheduleAt(tempo),
        explanation: '',
      } as TransitionPlan);
    expect(report(1.008).pitchCents).toBeCloseTo(13.79, 2);
    expect(report(0.992).pitchCents).toBeCloseTo(-13.91, 2);
    expect(report(1.012).pitchCents).toBe(0);
  });
});
