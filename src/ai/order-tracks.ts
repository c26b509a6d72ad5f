import type { MixScorer } from './mix-scorer.ts';
import { scoreMatrix } from './score-matrix.ts';
import { orderSet } from './set-order.ts';
import type { OrderResult } from './set-order.ts';
import { describeTrack } from './track-descriptor.ts';
import type { OrderMode } from '../audio/set/order-mode.ts';
import type { PlannedTrack } from '../audio/transition/transition-plan.ts';

export interface OrderedSet<T extends PlannedTrack = PlannedTrack> {
  tracks: T[];
  /** Score of each transition, by index of the outgoing track. */
  scores: number[];
  result: OrderResult;
}

export interface OrderOptions {
  /** Who queued each track (for the fairness rules); one anonymous requester by default. */
  requesters?: string[];
  /** The track playing now (not among `tracks`): the order continues from it. */
  current?: PlannedTrack;
  /** `tracks` are the first of a waiting list this long: the energy arc spans all of it (see orderSet). */
  setLength?: number;
}

/** Never a track id: a content hash or an entry id. */
const CURRENT_ID = '\u0000current';

/** Scores every pair once (one batch), then orders the set: smart (mixability along the energy arc) or queue. */
export async function orderTracks<T extends PlannedTrack>(
  tracks: T[],
  scorer: MixScorer,
  mode: OrderMode,
  opts: OrderOptions = {},
): Promise<OrderedSet<T>> {
  const n = tracks.length;
  const scored = opts.current ? [...tracks, opts.current] : tracks;
  const stride = scored.length;
  const descriptors = scored.map((t) => describeTrack(t.analysis));
  const matrix = await scoreMatrix(descriptors, scorer);
  const items = tracks.map((t, i) => ({
    id: t.id,
    requester: opts.requesters?.[i] ?? 'you',
    queuedAt: i,
    intensity: descriptors[i]!.intensity,
  }));
  const span = opts.setLength !== undefined ? { setLength: opts.setLength } : {};
  const result = orderSet(
    items,
    (a, b) => matrix[a * stride + b]!,
    opts.current
      ? { mode, current: CURRENT_ID, scoreFromCurrent: (to) => matrix[n * stride + to]!, ...span }
      : { mode, ...span },
  );
  const index = new Map(tracks.map((t, i) => [t.id, i]));
  const order = result.order.filter((id) => id !== CURRENT_ID).map((id) => index.get(id)!);
  return {
    tracks: order.map((i) => tracks[i]!),
    scores: order.slice(0, -1).map((i, k) => Number(matrix[i * stride + order[k + 1]!]!.toFixed(4))),
    result,
  };
}
