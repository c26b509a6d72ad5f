/** What plays in every bar, decided from the section it is in and how far into it we are. */
import type { SectionLabel, SynthSection } from './structure.ts';

export type ChordMode = 'off' | 'pad' | 'saw';
export type LeadMode = 'off' | 'soft' | 'full';

export interface BarPlan {
  bar: number;
  label: SectionLabel;
  barInSection: number;
  sectionBars: number;
  kick: boolean;
  clap: boolean;
  closedHats: boolean;
  /** Drop-style hats: ghost 16ths and open hats, per the track's hat style. */
  dropHats: boolean;
  shaker: boolean;
  crash: boolean;
  /** Snare-roll hits per beat (0 = none) and its level, rising through a build. */
  rollPerBeat: number;
  rollLevel: number;
  bass: boolean;
  chords: ChordMode;
  /** Chord low-pass cutoff at the start and end of the bar (the build opens it). */
  chordCutoffFrom: number;
  chordCutoffTo: number;
  lead: LeadMode;
  /** Progress of the build's noise riser at the start and end of the bar, or null. */
  riserFrom: number;
  riserTo: number;
  /** Whether bass and chords duck under the kick (sidechain pumping). */
  pump: boolean;
  /** Index into the chord loop; restarts at every section so each section opens on the tonic chord. */
  chordIndex: number;
}

const BUILD_CUTOFF_FROM = 250;
const BUILD_CUTOFF_TO = 6000;
const DROP_CUTOFF = 5000;

function expLerp(from: number, to: number, t: number): number {
  return from * Math.pow(to / from, t);
}

function planBar(label: SectionLabel, bar: number, b: number, bars: number, loopLength: number): BarPlan {
  const f0 = b / bars;
  const f1 = (b + 1) / bars;
  const plan: BarPlan = {
    bar,
    label,
    barInSection: b,
    sectionBars: bars,
    kick: false,
    clap: false,
    closedHats: false,
    dropHats: false,
    shaker: false,
    crash: false,
    rollPerBeat: 0,
    rollLevel: 0,
    bass: false,
    chords: 'off',
    chordCutoffFrom: DROP_CUTOFF,
    chordCutoffTo: DROP_CUTOFF,
    lead: 'off',
    riserFrom: 0,
    riserTo: 0,
    pump: false,
    chordIndex: b % loopLength,
  };
  switch (label) {
    case 'intro':
      plan.kick = true;
      plan.closedHats = true;
      plan.clap = f0 >= 0.5;
      plan.shaker = f0 >= 0.5;
      break;
    case 'build':
      plan.kick = f0 < 0.5;
      plan.closedHats = true;
      plan.rollPerBeat = f0 < 0.5 ? 1 : f0 < 0.75 ? 2 : 4;
      plan.rollLevel = 0.3 + 0.7 * f1;
      plan.chords = 'saw';
      plan.chordCutoffFrom = expLerp(BUILD_CUTOFF_FROM, BUILD_CUTOFF_TO, f0);
      plan.chordCutoffTo = expLerp(BUILD_CUTOFF_FROM, BUILD_CUTOFF_TO, f1);
      plan.riserFrom = f0;
      plan.riserTo = f1;
      plan.pump = plan.kick;
      break;
    case 'drop':
      plan.kick = true;
      plan.clap = true;
      plan.closedHats = true;
      plan.dropHats = true;
      plan.crash = b % 8 === 0;
      plan.bass = true;
      plan.chords = 'saw';
      plan.lead = 'full';
      plan.pump = true;
      break;
    case 'breakdown':
      plan.crash = b === 0;
      plan.chords = 'pad';
      plan.chordCutoffFrom = expLerp(900, 2800, f0);
      plan.chordCutoffTo = expLerp(900, 2800, f1);
      plan.lead = f0 >= 0.5 ? 'soft' : 'off';
      break;
    case 'outro':
      plan.kick = true;
      plan.closedHats = f0 < 0.75;
      plan.clap = f0 < 0.5;
      plan.shaker = f0 < 0.5;
      plan.crash = b === 0;
      break;
  }
  return plan;
}

export function arrange(sections: readonly SynthSection[], loopLength: number): BarPlan[] {
  const plans: BarPlan[] = [];
  let bar = 0;
  for (const s of sections) {
    for (let b = 0; b < s.bars; b++) plans.push(planBar(s.label, bar++, b, s.bars, loopLength));
  }
  return plans;
}
