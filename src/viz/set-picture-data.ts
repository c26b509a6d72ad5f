import { transitionGains } from '../audio/transition/transition-curves.ts';
import type { BandGains } from '../audio/transition/transition-curves.ts';
import type { TransitionReport } from '../audio/set/set-report.ts';
import type { PlannedTrack } from '../audio/transition/transition-plan.ts';
import { audibleWindow, setTimeOfTrack } from '../audio/set/set-timeline.ts';
import type { SetPictureData } from './set-picture.ts';

/**
 * A deck's band gains as heard: with its high-pass swept (a filter fade), each band also at the filter's gain in the
 * band's middle (100 Hz, 800 Hz, 6 kHz; 24 dB/octave), so the picture shows the sweep climbing through the bands.
 */
function heard(g: BandGains): BandGains {
  const cutoff = g.highPassHz;
  if (cutoff === undefined) return g;
  const wet = g.highPassWet ?? 1;
  const pass = (hz: number) => {
    const r4 = (hz / cutoff) ** 4;
    return 1 - wet + (wet * r4) / (1 + r4);
  };
  return { low: g.low * pass(100), mid: g.mid * pass(800), high: g.high * pass(6000) };
}

/** What the picture shows, from the tracks in play order and the engine's transitions. */
export function setPictureData(
  title: string,
  tracks: PlannedTrack[],
  transitions: TransitionReport[],
  durationSec: number,
): SetPictureData {
  const tempo: SetPictureData['tempo'] = [];
  const energy: SetPictureData['energy'] = [];
  const spans: SetPictureData['tracks'] = [];
  tracks.forEach((track, k) => {
    const map = setTimeOfTrack(k, transitions, tracks);
    const prev = transitions.find((t) => t.index === k - 1);
    const next = transitions.find((t) => t.index === k);
    const start = prev ? prev.startSec : 0;
    const end = next ? next.startSec + next.plan.overlapSec : durationSec;
    spans.push({ startSec: start, endSec: end, title: track.title });
    // The audible track (an 8-bar blend's last bars are the outgoing track's fading end).
    const { fromSec: from, toSec: to } = audibleWindow(k, transitions, tracks, durationSec);
    const beats = track.analysis.beats.map(map);
    for (let i = 1; i < beats.length; i++) {
      if (beats[i]! < from || beats[i]! > to) continue;
      tempo.push({ t: beats[i]!, bpm: 60 / (beats[i]! - beats[i - 1]!) });
    }
    track.analysis.downbeats.forEach((d, bar) => {
      const t = map(d);
      if (t >= from && t < to) energy.push({ t, value: track.analysis.energy[bar] ?? 0 });
    });
  });
  return {
    title,
    durationSec,
    tempo: tempo.filter((_, i) => i % 2 === 0),
    energy,
    tracks: spans,
    transitions: transitions.map((tr) => {
      const beat = 60 / tr.from.bpm;
      const length = tr.endSec - tr.startSec;
      const curves = Array.from({ length: 121 }, (_, i) => {
        const t = (i / 120) * length;
        const g = transitionGains(tr.plan, t, beat);
        const a = heard(g.a);
        return { t, aLow: a.low, aMid: a.mid, aHigh: a.high, bLow: g.b.low, bMid: g.b.mid, bHigh: g.b.high };
      });
      return {
        startSec: tr.startSec,
        endSec: tr.endSec,
        label: `${tr.from.title} → ${tr.to.title}`,
        style: `${tr.style}, ${tr.overlapBars} bars`,
        curves,
      };
    }),
  };
}
