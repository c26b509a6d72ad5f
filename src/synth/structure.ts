/** Song structure: which sections, how many bars each. */
import type { SegmentLabel } from '../audio/analysis/analysis-types.ts';

export type SectionLabel = Extract<SegmentLabel, 'intro' | 'build' | 'drop' | 'breakdown' | 'outro'>;

export interface SynthSection {
  label: SectionLabel;
  bars: number;
}

const SECTION_LABELS: readonly SectionLabel[] = ['intro', 'build', 'drop', 'breakdown', 'outro'];

export const PHRASE_BARS = 8;

function frozenSection(label: SectionLabel, bars: number): SynthSection {
  return Object.freeze({ label, bars });
}

/** The classic 96-bar club arrangement (frozen: callers share it). */
export const DEFAULT_SECTIONS: readonly SynthSection[] = Object.freeze([
  frozenSection('intro', 16),
  frozenSection('build', 8),
  frozenSection('drop', 16),
  frozenSection('breakdown', 16),
  frozenSection('build', 8),
  frozenSection('drop', 16),
  frozenSection('outro', 16),
]);

export function validateSections(sections: readonly SynthSection[]): void {
  if (sections.length === 0) throw new RangeError('sections must not be empty');
  for (const s of sections) {
    if (!SECTION_LABELS.includes(s.label)) throw new RangeError(`unknown section label "${String(s.label)}"`);
    if (!Number.isInteger(s.bars) || s.bars < 1) {
      throw new RangeError(`section "${s.label}" must have a positive whole number of bars, got ${s.bars}`);
    }
  }
}

export function totalBars(sections: readonly SynthSection[]): number {
  let bars = 0;
  for (const s of sections) bars += s.bars;
  return bars;
}

/** Phrase layouts for tracks too short for the full intro–drop–breakdown–drop–outro form. */
const SHORT_FORMS: readonly (readonly SectionLabel[])[] = [
  ['drop'],
  ['intro', 'drop'],
  ['intro', 'build', 'drop'],
  ['intro', 'build', 'drop', 'outro'],
  ['intro', 'build', 'drop', 'drop', 'outro'],
  ['intro', 'build', 'drop', 'breakdown', 'build', 'drop'],
];

function mergeRuns(labels: readonly SectionLabel[]): SynthSection[] {
  const sections: SynthSection[] = [];
  for (const label of labels) {
    const last = sections[sections.length - 1];
    if (last && last.label === label) last.bars += PHRASE_BARS;
    else sections.push({ label, bars: PHRASE_BARS });
  }
  return sections;
}

/**
 * A plausible arrangement for `bars` bars. Every section is a whole number of 8-bar
 * phrases; if `bars` is not a multiple of 8 the remainder is added to the last section.
 * 96 bars gives DEFAULT_SECTIONS; longer tracks get more breakdown–build–drop cycles.
 */
export function structureForBars(bars: number): SynthSection[] {
  if (!Number.isInteger(bars) || bars < 1) throw new RangeError(`bars must be a positive integer, got ${bars}`);
  const phrases = Math.floor(bars / PHRASE_BARS);
  const remainder = bars - phrases * PHRASE_BARS;
  if (phrases === 0) return [{ label: 'drop', bars }];

  let sections: SynthSection[];
  if (phrases <= SHORT_FORMS.length) {
    sections = mergeRuns(SHORT_FORMS[phrases - 1]!);
  } else {
    // intro, (build, drop, breakdown) × cycles without the last breakdown, outro: 5·cycles − 1 phrases at one phrase each.
    const cycles = phrases >= 12 ? Math.floor((phrases - 2) / 5) : 2;
    const counts: { label: SectionLabel; phrases: number }[] = [{ label: 'intro', phrases: 1 }];
    for (let c = 0; c < cycles; c++) {
      if (c > 0) counts.push({ label: 'breakdown', phrases: 1 });
      counts.push({ label: 'build', phrases: 1 }, { label: 'drop', phrases: 1 });
    }
    counts.push({ label: 'outro', phrases: 1 });
    // Grow drops, then intro/outro, then breakdowns to two phrases; anything beyond goes to the drops.
    const growOrder = [
      ...counts.filter((c) => c.label === 'drop'),
      counts[0]!,
      counts[counts.length - 1]!,
      ...counts.filter((c) => c.label === 'breakdown'),
    ];
    let spare = phrases - counts.length;
    for (const c of growOrder) {
      if (spare === 0) break;
      c.phrases++;
      spare--;
    }
    const drops = counts.filter((c) => c.label === 'drop');
    for (let i = 0; spare > 0; i++, spare--) drops[i % drops.length]!.phrases++;
    sections = counts.map((c) => ({ label: c.label, bars: c.phrases * PHRASE_BARS }));
  }
  sections[sections.length - 1]!.bars += remainder;
  return sections;
}
