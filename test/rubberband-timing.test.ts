import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeckReader } from '../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../src/audio/io/mix-format.ts';
import { ffmpegPath } from '../src/audio/io/ffmpeg-path.ts';
import {
  FALLBACK_TIMING,
  MUSIC_MINUS_PROBE,
  locateClick,
  probeClick,
  probeRubberband,
  rubberbandTiming,
  timingFromProbe,
} from '../src/audio/io/rubberband-timing.ts';
import type { ProbeResult, RubberbandTiming } from '../src/audio/io/rubberband-timing.ts';
import { outputDuration, tempoRamp } from '../src/audio/transition/tempo-schedule.ts';
import type { TempoSchedule } from '../src/audio/transition/tempo-schedule.ts';
import { encodeWav } from '../src/audio/io/wav.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const RATE = 44_100;
const BEAT = 0.3;
let tmp: ReturnType<typeof makeTempDir>;
let file: string;
const clicks: number[] = [];
let probe: ProbeResult;

beforeAll(async () => {
  tmp = makeTempDir();
  // A click on every beat and one between, 14 s at 44.1 kHz: what the probe plays, longer, read by a real deck.
  const n = 14 * RATE;
  const left = new Float32Array(n);
  for (let k = 0; (k + 1) * BEAT < 14; k++) clicks.push(k * BEAT, k * BEAT + 0.11 + 0.0137 * (k % 5));
  for (const t0 of clicks)
    for (let i = Math.max(0, Math.floor((t0 - 0.002) * RATE)); i <= Math.ceil((t0 + 0.002) * RATE); i++)
      left[i] = 0.5 * probeClick(i / RATE - t0);
  file = path.join(tmp.dir, 'clicks.wav');
  writeFileSync(file, encodeWav([left, left], RATE, 'float32'));
  probe = await probeRubberband(ffmpegPath());
}, 60_000);
afterAll(() => tmp.cleanup());

/** Mean offset (ms, + = late) of the deck's clicks against the schedule, over input [from, to). */
async function deckOffsets(
  schedule: TempoSchedule,
  timing: RubberbandTiming,
  spans: [number, number][],
): Promise<number[]> {
  const fromSec = 2;
  const deck = new DeckReader({ file, fromSec, toSec: 13.5, schedule, timing, highWaterFrames: 14 * MIX_RATE });
  const out = await deck.read(Math.round(outputDuration(schedule, fromSec, 13.2) * MIX_RATE));
  deck.close();
  return spans.map(([from, to]) => {
    const judged = clicks.filter((t) => t >= from && t < to);
    const ms = judged.map(
      (t) => (locateClick(out, outputDuration(schedule, fromSec, t)) - outputDuration(schedule, fromSec, t)) * 1000,
    );
    return ms.reduce((a, b) => a + b, 0) / ms.length;
  });
}

describe('rubberband timing', () => {
  it('probes the chosen ffmpeg once and caches it', async () => {
    // Measured: 2018 static build start-up 47.3 ms, lead 55.5 ms; Debian's 5.1 (librubberband 3.1.2) 32.3 ms, 51.5 ms.
    // Cost: 0.3 s of CPU (static build), 0.7 s (Debian's, 0.5 s of it loading its libraries).
    expect(probe.startSec).toBeGreaterThan(0.01);
    expect(probe.startSec).toBeLessThan(0.08);
    expect(probe.leadSec).toBeGreaterThan(0.02);
    expect(probe.leadSec).toBeLessThan(0.12);
    const first = rubberbandTiming(ffmpegPath());
    const timing = await first;
    expect(rubberbandTiming(ffmpegPath())).toBe(timing);
    expect(timing).toEqual(timingFromProbe(probe));
    expect(timing.startSec).toBeCloseTo(probe.startSec + MUSIC_MINUS_PROBE.startSec, 6);
  });

  it("falls back to the 2018 build's values when the probe cannot run", async () => {
    expect(await rubberbandTiming(path.join(tmp.dir, 'no-ffmpeg-here'))).toEqual(FALLBACK_TIMING);
  });

  it('puts a stretched deck on its schedule with the probed values, and a wrong start-up or lead shows', async () => {
    // 4.6 % slow (laminar), then back to tempo 1 one beat at a time: clicks before the ramp (the start-up) and after it
    // (the lead), against where the schedule puts them.
    const schedule: TempoSchedule = [{ atSec: 0, tempo: 0.954 }, ...tempoRamp(6, BEAT, 8, 0.954, 1)];
    const spans: [number, number][] = [
      [2.5, 5.9],
      [9.3, 13],
    ];
    const right: RubberbandTiming = {
      startSec: probe.startSec,
      leadSec: { independent: probe.leadSec, laminar: probe.leadSec },
    };
    const [[pre, post], [preWrongStart], [, postWrongLead]] = await Promise.all([
      deckOffsets(schedule, right, spans),
      deckOffsets(schedule, { ...right, startSec: right.startSec + 0.015 }, spans),
      deckOffsets(
        schedule,
        { ...right, leadSec: { independent: right.leadSec.independent + 0.02, laminar: right.leadSec.laminar + 0.02 } },
        spans,
      ),
    ]);
    // Measured: before the ramp −0.02 ms (Debian's 5.1), −0.07 ms (2018 build); after it −0.32 and −0.22 ms (the
    // lead depends a little on where the clicks fall against the changes: this deck starts 5 s before its ramp, the
    // probe 1.2 s).
    expect(Math.abs(pre!)).toBeLessThanOrEqual(0.15);
    expect(Math.abs(post!)).toBeLessThanOrEqual(0.4);
    // 15 ms of start-up at 4.6 % is 0.7 ms; 20 ms of lead over the ramp back from 4.6 % is 1 ms.
    expect(Math.abs(preWrongStart! - pre!)).toBeGreaterThan(0.5);
    expect(Math.abs(postWrongLead! - post!)).toBeGreaterThan(0.7);
  }, 60_000);
});
