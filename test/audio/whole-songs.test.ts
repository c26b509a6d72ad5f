import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeWavInterleaved } from '../../src/audio/io/wav.ts';
import { mixSet } from '../../src/audio/set/mix-set.ts';
import { SetEngine } from '../../src/audio/set/set-engine.ts';
import { planInStyle } from '../../src/audio/transition/mix-style.ts';
import type { MixStyle } from '../../src/audio/transition/mix-style.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import { TransitionRenderer } from '../../src/audio/transition/transition-renderer.ts';
import { heardBars } from '../../src/eval/heard-bars.ts';
import { makeTempDir } from '../helpers/ffmpeg-fixtures.ts';
import { handsCrate } from '../helpers/hands-crate.ts';

// A 5-minute set rendered and measured: room for a machine busy with other work.
vi.setConfig({ testTimeout: 300_000 });

let tmp: ReturnType<typeof makeTempDir>;
let tracks: PlannedTrack[] = [];

beforeAll(async () => {
  tmp = makeTempDir();
  ({ tracks } = await handsCrate());
}, 180_000);
afterAll(() => tmp.cleanup());

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** A bar counts as heard when this share of its landmarks is in the set (bars a set does not play: 0–4 %). */
const HEARD = 0.05;

describe('whole songs', () => {
  it('plays each song of a rendered 3-track set from its first downbeat to its end, its outro and first bars heard in the audio', async () => {
    const out = path.join(tmp.dir, 'whole.wav');
    const { report, tracks: played, transitions } = await mixSet({ tracks }, out, 'queue', -14, { songs: 'whole' });
    // The report: every song from its first downbeat to its end, the blends over A's outro and B's intro with B's bass
    // from its first beat.
    expect(report.style).toEqual({ songs: 'whole' });
    for (const [k, t] of report.tracks.entries()) {
      expect(t.played.fromSec).toBeCloseTo(played[k]!.analysis.downbeats[0]!, 2);
      expect(t.played.share).toBeGreaterThanOrEqual(0.98);
    }
    for (const tr of transitions)
      expect(tr.plan).toMatchObject({
        style: 'blend',
        bassSwapBar: 0,
        bassOnEntry: true,
        entrySec: played[tr.index + 1]!.analysis.downbeats[0],
      });

    // The audio: each song's bars found in the set where its timeline puts them.
    const heard = await heardBars(decodeWavInterleaved(readFileSync(out)).stereo, played, transitions);
    for (const [k, h] of heard.entries()) {
      const bars = h.bars.map((b) => b ?? 0);
      const outro = played[k]!.analysis.segments.at(-1)!;
      const lastHeard = played[k]!.analysis.energy.findLastIndex((e) => e >= 0.05);
      console.log(
        `${h.title}: first 4 bars ${bars
          .slice(0, 4)
          .map((b) => b.toFixed(2))
          .join(
            ' ',
          )}; outro (bars ${outro.startBar + 1}–${lastHeard + 1}) mean ${mean(bars.slice(outro.startBar, lastHeard + 1)).toFixed(2)}, last 8 ${bars
          .slice(lastHeard - 7, lastHeard + 1)
          .map((b) => b.toFixed(2))
          .join(' ')}`,
      );
      expect(mean(bars.slice(0, 4))).toBeGreaterThanOrEqual(0.1);
      expect(outro.label).toBe('outro');
      expect(mean(bars.slice(lastHeard - 7, lastHeard + 1))).toBeGreaterThanOrEqual(0.1);
      // Every bar from the first downbeat to the last one heard; of a song blended out, its last bar is the end of
      // the blend's fade (mids and highs at -8 dB and falling, under the next song at full level), not counted.
      const judged = k < heard.length - 1 ? lastHeard : lastHeard + 1;
      expect(bars.slice(0, judged).filter((b) => b < HEARD)).toEqual([]);
    }
  });

  it('plays A to its end, then B from its first downbeat, for a pair the planner would not blend', () => {
    const [a, b] = tracks;
    const styled = planInStyle(
      a!,
      b!,
      { songs: 'whole' },
      { echoOutBecause: 'the beat check measured the decks apart' },
    );
    expect(styled.render).toBe(false);
    expect(styled.plan).toMatchObject({
      style: 'cut',
      overlapBars: 0,
      entrySec: b!.analysis.downbeats[0],
      exitSec: a!.analysis.downbeats[a!.analysis.energy.findLastIndex((e) => e >= 0.05) + 1] ?? a!.analysis.durationSec,
    });
    expect(styled.plan.explanation).toMatch(
      /^whole songs: t0 plays to its end, then t1 from its first downbeat \(rather than an echo-out: /,
    );
  });

  it('re-plans the coming transition when the mix style changes while a song plays', async () => {
    const renderer = new TransitionRenderer();
    let style: MixStyle = { songs: 'dj' };
    const engine = new SetEngine(tracks.slice(0, 2), { renderer, renderDeadlineMs: 250, mixStyle: () => style });
    const stream = engine.stream();
    try {
      while (!engine.upcoming) await stream.next();
      const dj = engine.upcoming!.plan;
      expect(dj.exitSec).toBeCloseTo(tracks[0]!.analysis.cues.mixOut, 3);
      style = { songs: 'whole', bars: 8 };
      await stream.next();
      const whole = engine.upcoming!.plan;
      const a = tracks[0]!.analysis;
      // A now leaves 8 bars before its last bar heard; B enters on its first downbeat, its bass with it.
      expect(whole.exitSec).toBeCloseTo(a.downbeats[a.energy.findLastIndex((e) => e >= 0.05) + 1 - 8]!, 3);
      expect(whole).toMatchObject({ overlapBars: 8, bassOnEntry: true, entrySec: tracks[1]!.analysis.downbeats[0] });
    } finally {
      await stream.return(undefined);
      await renderer.close();
    }
  });
});
