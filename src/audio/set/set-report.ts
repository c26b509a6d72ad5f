import { formatDuration } from '../io/audio-input-error.ts';
import type { OrderMode } from './order-mode.ts';
import type { TransitionReport } from './set-engine.ts';

/** What `minidj mix --report` writes. */
export interface MixReport {
  out: string;
  durationSec: number;
  renderSec: number;
  order: OrderMode;
  targetLufs: number;
  tracks: { title: string; file: string; bpm: number; key: string; camelot: string }[];
  transitions: Omit<TransitionReport, 'plan'>[];
}

/** One line per transition: when, which tracks, style, tempi, keys, score and the beat check. */
export function describeTransitions(report: MixReport): string[] {
  return report.transitions.map(
    (t) =>
      `${formatDuration(t.startSec).padStart(5)}  ${t.from.title} → ${t.to.title}: ${t.style}, ${t.overlapBars} bars, ` +
      `${t.from.bpm.toFixed(1)}→${t.to.bpm.toFixed(1)} BPM (stretch ${t.stretchPct >= 0 ? '+' : ''}${t.stretchPct.toFixed(1)} %), ${t.from.camelot}→${t.to.camelot}` +
      `${t.score !== undefined ? `, score ${t.score.toFixed(2)}` : ''}${t.check ? `; ${t.check.summary}` : ''}`,
  );
}
