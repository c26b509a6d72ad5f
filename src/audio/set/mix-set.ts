import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { encodeStream } from '../io/set-encoder.ts';
import { DJ_CUTS } from '../transition/mix-style.ts';
import type { MixStyle } from '../transition/mix-style.ts';
import type { PlannedTrack } from '../transition/transition-plan.ts';
import { TransitionRenderer } from '../transition/transition-renderer.ts';
import type { OrderMode } from './order-mode.ts';
import { SetEngine } from './set-engine.ts';
import { playedSpan } from './set-timeline.ts';
import type { PlayedSpan } from './set-timeline.ts';
import type { TransitionReport } from './set-report.ts';
import type { MixReport } from './set-report.ts';

/** Tracks in play order, with the score of each transition by index of the outgoing track (when scored). */
export interface OrderedTracks {
  tracks: PlannedTrack[];
  scores?: number[];
}

export interface MixResult {
  report: MixReport;
  /** The tracks in play order and the engine's transitions with their plans (for measurement). */
  tracks: PlannedTrack[];
  transitions: TransitionReport[];
}

/**
 * Plans and renders a set, already in play order, to `out`, in `style` (default: DJ cuts, the planner's length);
 * returns the report. Serves `minidj mix`, the demo and the benchmarks.
 */
export async function mixSet(
  ordered: OrderedTracks,
  out: string,
  order: OrderMode,
  targetLufs: number,
  style?: MixStyle,
): Promise<MixResult> {
  const renderer = new TransitionRenderer();
  const engine = new SetEngine(ordered.tracks, {
    renderer,
    targetLufs,
    scores: ordered.scores,
    ...(style ? { mixStyle: () => style } : {}),
  });
  const started = performance.now();
  try {
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await encodeStream(engine.stream(), out);
  } finally {
    await renderer.close();
  }
  const report: MixReport = {
    out,
    durationSec: Number(engine.positionSec.toFixed(3)),
    renderSec: Number(((performance.now() - started) / 1000).toFixed(2)),
    order,
    targetLufs,
    style: style ?? DJ_CUTS,
    tracks: ordered.tracks.map((t, k) => ({
      title: t.title,
      file: t.file,
      bpm: t.analysis.bpm,
      key: `${t.analysis.key} ${t.analysis.scale}`,
      camelot: t.analysis.camelot,
      played: rounded(playedSpan(k, engine.report, ordered.tracks)),
    })),
    transitions: engine.report.map(({ plan: _plan, ...rest }) => ({
      ...rest,
      startSec: Number(rest.startSec.toFixed(3)),
      endSec: Number(rest.endSec.toFixed(3)),
    })),
  };
  return { report, tracks: ordered.tracks, transitions: engine.report };
}

const rounded = (p: PlayedSpan): PlayedSpan => ({
  fromSec: Number(p.fromSec.toFixed(3)),
  toSec: Number(p.toSec.toFixed(3)),
  share: Number(p.share.toFixed(4)),
});
