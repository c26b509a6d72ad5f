/** The lead: the track's two-bar motif, fitted to each bar's chord on strong steps, with a dotted-8th echo. */
import type { BarPlan, LeadMode } from './arrangement.ts';
import { BEATS_PER_BAR, beatSample, type BeatGrid } from './beat-grid.ts';
import { StateVariableFilter } from './filters.ts';
import { addScratch, type MixBus } from './mix-bus.ts';
import { degreeSemitones, midiToHz } from './music-theory.ts';
import { centsToRatio, sawSample, squareSample, triangleSample } from './oscillators.ts';
import type { TrackStyle } from './track-style.ts';

interface LeadPatch {
  attackSec: number;
  releaseSec: number;
  level: number;
  send: number;
  /** Echo gains, alternating right and left. */
  echoes: number[];
}

const PATCHES: Record<Exclude<LeadMode, 'off'>, LeadPatch> = {
  full: { attackSec: 0.003, releaseSec: 0.06, level: 0.22, send: 0.3, echoes: [0.3, 0.17, 0.09] },
  soft: { attackSec: 0.02, releaseSec: 0.2, level: 0.26, send: 0.45, echoes: [0.4, 0.25, 0.14] },
};

const GATE = 0.85;
/** Dotted-8th echo, in beats. */
const ECHO_BEATS = 0.75;
const DETUNE = centsToRatio(9);

/** Renders one note into `out`; returns the number of samples written. */
function renderNote(
  out: Float32Array,
  mode: Exclude<LeadMode, 'off'>,
  hz: number,
  gate: number,
  velocity: number,
  filter: StateVariableFilter,
  sr: number,
): number {
  const patch = PATCHES[mode];
  const attack = Math.max(1, Math.round(patch.attackSec * sr));
  const release = Math.round(patch.releaseSec * sr);
  const total = Math.min(gate + release, out.length);
  const dt1 = hz / sr;
  const dt2 = dt1 * DETUNE;
  let p1 = 0;
  let p2 = 0.37;
  filter.reset();
  if (mode === 'soft') filter.set(2200, 0.7);
  for (let i = 0; i < total; i++) {
    let osc: number;
    if (mode === 'full') {
      if (i % 16 === 0) filter.set(900 + 3600 * velocity * Math.exp(-i / (0.15 * sr)), 1.3);
      osc = sawSample(p1, dt1) * 0.5 + sawSample(p2, dt2) * 0.5 + squareSample(p1, dt1) * 0.3;
    } else {
      osc = triangleSample(p1) * 0.8 + triangleSample(p2) * 0.4;
    }
    p1 += dt1;
    if (p1 >= 1) p1 -= 1;
    p2 += dt2;
    if (p2 >= 1) p2 -= 1;
    filter.process(osc);
    const env = i < attack ? i / attack : i < gate ? 1 : Math.pow(1 - (i - gate) / release, 2);
    out[i] = filter.lp * env * velocity;
  }
  return total;
}

/** The chord tone (as a scale degree) nearest to `degree`; ties go to the tonic, then downwards. */
function nearestChordTone(degree: number, chordRoot: number, chordSize: 3 | 4): number {
  let best = degree;
  let bestCost = Infinity;
  for (let d = degree - 3; d <= degree + 3; d++) {
    const interval = (((d - chordRoot) % 7) + 7) % 7;
    if (interval % 2 === 1 || interval / 2 >= chordSize) continue;
    const cost = Math.abs(d - degree) * 2 - (((d % 7) + 7) % 7 === 0 ? 1 : 0);
    if (cost < bestCost) {
      bestCost = cost;
      best = d;
    }
  }
  return best;
}

export function renderLead(bus: MixBus, plans: readonly BarPlan[], grid: BeatGrid, style: TrackStyle): void {
  const sr = grid.sampleRate;
  const scratch = new Float32Array(Math.ceil((grid.beatSec + PATCHES.soft.releaseSec) * sr) + 2);
  const filter = new StateVariableFilter(sr);

  for (const p of plans) {
    if (p.lead === 'off') continue;
    const patch = PATCHES[p.lead];
    const half = p.barInSection % 2;
    const chordRoot = style.progression[p.chordIndex]!;
    for (const n of style.motif) {
      const step = n.step - half * 16;
      if (step < 0 || step >= 16) continue;
      const beat = p.bar * BEATS_PER_BAR + step / 4;
      const start = beatSample(grid, beat);
      const gate = beatSample(grid, beat + (n.steps * GATE) / 4) - start;
      const degree = step % 4 === 0 ? nearestChordTone(n.degree, chordRoot, style.chordSize) : n.degree;
      const midi = style.leadTonic + degreeSemitones(style.scale, degree);
      const count = renderNote(scratch, p.lead, midiToHz(midi), gate, n.velocity, filter, sr);
      const level = patch.level;
      addScratch(bus, scratch, scratch, count, start, { gainLeft: level, gainRight: level, send: patch.send });
      for (let e = 0; e < patch.echoes.length; e++) {
        const g = level * patch.echoes[e]!;
        const at = beatSample(grid, beat + (e + 1) * ECHO_BEATS);
        const wide = e % 2 === 0 ? { gainLeft: g * 0.4, gainRight: g } : { gainLeft: g, gainRight: g * 0.4 };
        addScratch(bus, scratch, scratch, count, at, { ...wide, send: patch.send });
      }
    }
  }
}
