/** Bass line on the chord roots: a filtered saw with a sine sub, in an off-beat or rolling pattern. */
import type { BarPlan } from './arrangement.ts';
import { BEATS_PER_BAR, beatSample, type BeatGrid } from './beat-grid.ts';
import { StateVariableFilter } from './filters.ts';
import { addScratch, type MixBus } from './mix-bus.ts';
import { degreeSemitones, midiToHz, placeInOctave } from './music-theory.ts';
import { sawSample } from './oscillators.ts';
import { applySidechain, type SidechainShape } from './sidechain.ts';
import type { BassPattern, TrackStyle } from './track-style.ts';

interface BassNote {
  /** Position in 16ths from the start of the beat. */
  sixteenth: number;
  /** Gate length in 16ths. */
  length: number;
  octave: number;
}

/** The notes of one beat (the kick sits on sixteenth 0, so the bass leaves it free). */
function notesForBeat(pattern: BassPattern, beat: number): BassNote[] {
  switch (pattern) {
    case 'offbeat':
      return [{ sixteenth: 2, length: 1.6, octave: 0 }];
    case 'offbeat-octave':
      return [{ sixteenth: 2, length: 1.5, octave: beat % 2 === 1 ? 12 : 0 }];
    case 'rolling':
      return [
        { sixteenth: 1, length: 0.85, octave: 0 },
        { sixteenth: 2, length: 0.85, octave: 0 },
        { sixteenth: 3, length: 0.85, octave: 0 },
      ];
  }
}

const ATTACK_SEC = 0.002;
const RELEASE_SEC = 0.015;
const LEVEL = 1.15;

export function renderBass(
  bus: MixBus,
  plans: readonly BarPlan[],
  grid: BeatGrid,
  style: TrackStyle,
  kicks: readonly number[],
): void {
  const sr = grid.sampleRate;
  const release = Math.round(RELEASE_SEC * sr);
  const attack = Math.round(ATTACK_SEC * sr);
  const scratch = new Float32Array(Math.ceil(grid.beatSec * sr) + release + 2);
  const filter = new StateVariableFilter(sr);
  const pump: SidechainShape = {
    depth: 0.4,
    attackSamples: Math.round(0.003 * sr),
    releaseSamples: Math.round(grid.beatSec * 0.4 * sr),
  };
  const place = { gainLeft: LEVEL, gainRight: LEVEL, send: 0 };

  for (const p of plans) {
    if (!p.bass) continue;
    const degree = style.progression[p.chordIndex]!;
    const root = placeInOctave(style.tonicPc + degreeSemitones(style.scale, degree), style.bassLow);
    for (let beat = 0; beat < BEATS_PER_BAR; beat++) {
      const b = p.bar * BEATS_PER_BAR + beat;
      for (const note of notesForBeat(style.bassPattern, beat)) {
        const start = beatSample(grid, b + note.sixteenth / 4);
        const gate = beatSample(grid, b + (note.sixteenth + note.length) / 4) - start;
        const total = Math.min(gate + release, scratch.length);
        const hz = midiToHz(root + note.octave);
        const dt = hz / sr;
        let phase = 0;
        filter.reset();
        for (let i = 0; i < total; i++) {
          if (i % 16 === 0) filter.set(220 + 1400 * Math.exp(-i / (0.045 * sr)), 1.4);
          const osc = sawSample(phase, dt) * 0.7 + Math.sin(phase * 2 * Math.PI) * 0.6;
          phase += dt;
          if (phase >= 1) phase -= 1;
          filter.process(osc);
          const env = i < attack ? i / attack : i < gate ? 1 : 1 - (i - gate) / release;
          scratch[i] = filter.lp * env;
        }
        if (p.pump) applySidechain(scratch, scratch, total, start, kicks, pump);
        addScratch(bus, scratch, scratch, total, start, place);
      }
    }
  }
}
