import type { OrderMode } from '../audio/set/order-mode.ts';
/**
 * Play order of a DJ set: mixable transitions along an energy arc, under hard fairness rules.
 *
 * The fairness rules. Tracks are ranked by queue position, (queuedAt, id) ascending, 0 = first. Slots count the
 * tracks still to play, from 0; the track playing now (`current`) is neither ranked nor a slot. With
 * D = maxDelaySlots and W = max(2, number of distinct requesters among the ranked tracks):
 *  1. delay: every track plays at a slot s with |s − rank| ≤ D (never more than D slots late, nor early);
 *  2. starvation: requester r is *waiting* at slot t when slot t plays someone else's track while r has a track
 *     with rank < t that has not started before slot t; r may not be waiting in more than W consecutive slots.
 * Queue order meets both rules (slot = rank, so nobody ever waits), and the optimizer only makes choices after
 * which playing the remaining tracks in queue order still meets them — so when the rules and mixability
 * conflict, queue order wins, and a valid order always exists.
 */

export interface OrderItem {
  id: string;
  /** Discord member who queued it. */
  requester: string;
  /** Position in the queue when requested (0 = earliest). */
  queuedAt: number;
  /** How intense the track is, 0..1 (the caller derives it from loudness and energy). */
  intensity: number;
}

/** Fractions of the set spent warming up, at the peak and cooling down (normalized to sum 1). */
export interface EnergyArc {
  warmUp: number;
  peak: number;
  coolDown: number;
}

export interface OrderOptions {
  mode: OrderMode;
  arc?: EnergyArc;
  /** A track must start within this many slots of the position it was queued at (default 8). */
  maxDelaySlots?: number;
  /** Weight of following the arc versus mixability, 0..1 (default 0.5). */
  arcWeight?: number;
  /** Id of the track playing now, if any: the order continues from it. */
  current?: string;
  /** Mixability from `current` to items[to], used when `current` is not one of the items (else `score` is). */
  scoreFromCurrent?: (to: number) => number;
  /**
   * The items are the first of a longer waiting list of this many tracks (default: the items alone). The energy arc
   * spans the whole list, so ordering a window of it targets the intensities the whole list's first slots would.
   */
  setLength?: number;
}

export interface OrderResult {
  /** Ids in play order; when `current` is one of the items it comes first. */
  order: string[];
  /** Sum of the mixability of every transition, including the one out of `current` when it can be scored. */
  totalScore: number;
  /** totalScore per transition (0 when there is none). */
  meanScore: number;
  /** Most slots any track plays after its queue position (0 when nothing is late). */
  maxDelay: number;
}

const DEFAULT_ARC: EnergyArc = { warmUp: 0.3, peak: 0.5, coolDown: 0.2 };
const DEFAULT_MAX_DELAY_SLOTS = 8;
const DEFAULT_ARC_WEIGHT = 0.5;

/** Longest window a reversal or segment move spans; swaps span the whole delay window. */
const MOVE_SPAN = 16;
const MAX_SEGMENT = 3;
const MAX_PASSES = 50;
const EPSILON = 1e-9;

/** The set to place, in queue-rank space: track k is the k-th in queue order. */
interface SetProblem {
  size: number;
  maxDelay: number;
  maxWait: number;
  requesterOf: Int32Array;
  requesterCount: number;
  mixWeight: number;
  arcWeight: number;
  /** Mixability between two ranks that can be neighbours (|from − to| ≤ 2·maxDelay + 1). */
  mix: (from: number, to: number) => number;
  /** Mixability from the playing track to ranks ≤ maxDelay; undefined when there is nothing to score from. */
  opening: Float64Array | undefined;
  intensity: Float64Array;
  /** Target intensity of each slot. */
  target: Float64Array;
}

export function orderSet(
  items: OrderItem[],
  score: (from: number, to: number) => number,
  opts: OrderOptions,
): OrderResult {
  if (opts.mode !== 'smart' && opts.mode !== 'queue') throw new RangeError(`unknown mode ${String(opts.mode)}`);
  const maxDelay = opts.maxDelaySlots ?? DEFAULT_MAX_DELAY_SLOTS;
  if (!Number.isInteger(maxDelay) || maxDelay < 0) throw new RangeError('maxDelaySlots must be an integer ≥ 0');
  const arcWeight = opts.arcWeight ?? DEFAULT_ARC_WEIGHT;
  if (!(arcWeight >= 0 && arcWeight <= 1)) throw new RangeError('arcWeight must be within 0..1');
  const arc = normalizeArc(opts.arc ?? DEFAULT_ARC);
  if (opts.setLength !== undefined && !(Number.isInteger(opts.setLength) && opts.setLength >= items.length))
    throw new RangeError('setLength must be an integer ≥ the number of items');
  assertUniqueIds(items);

  const currentIndex = opts.current === undefined ? -1 : items.findIndex((item) => item.id === opts.current);
  const queue = queueOrder(items, currentIndex);
  const fromCurrent = currentScorer(currentIndex, score, opts);

  let slots: Int32Array = Int32Array.from(queue.keys());
  if (opts.mode === 'smart' && queue.length > 1) {
    const problem = buildProblem(items, queue, score, fromCurrent, {
      maxDelay,
      arcWeight,
      arc,
      arcSlots: Math.max(queue.length, opts.setLength ?? 0),
    });
    slots = smartOrder(problem);
  }
  return summarize(items, queue, slots, currentIndex, score, fromCurrent);
}

function normalizeArc(arc: EnergyArc): EnergyArc {
  const parts = [arc.warmUp, arc.peak, arc.coolDown];
  if (!parts.every((f) => Number.isFinite(f) && f >= 0)) throw new RangeError('arc fractions must be ≥ 0');
  const sum = parts[0]! + parts[1]! + parts[2]!;
  if (sum <= 0) throw new RangeError('arc fractions must not all be 0');
  return { warmUp: arc.warmUp / sum, peak: arc.peak / sum, coolDown: arc.coolDown / sum };
}

function assertUniqueIds(items: OrderItem[]): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id)) throw new RangeError(`duplicate track id ${item.id}`);
    seen.add(item.id);
  }
}

/** Indices of the tracks to place, by (queuedAt, id); the playing track is left out. */
function queueOrder(items: OrderItem[], currentIndex: number): number[] {
  const indices = [...items.keys()].filter((i) => i !== currentIndex);
  return indices.sort((a, b) => {
    const x = items[a]!;
    const y = items[b]!;
    if (x.queuedAt !== y.queuedAt) return x.queuedAt - y.queuedAt;
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  });
}

function currentScorer(
  currentIndex: number,
  score: (from: number, to: number) => number,
  opts: OrderOptions,
): ((to: number) => number) | undefined {
  if (currentIndex >= 0) return (to) => score(currentIndex, to);
  if (opts.current !== undefined) return opts.scoreFromCurrent;
  return undefined;
}

function buildProblem(
  items: OrderItem[],
  queue: number[],
  score: (from: number, to: number) => number,
  fromCurrent: ((to: number) => number) | undefined,
  params: { maxDelay: number; arcWeight: number; arc: EnergyArc; arcSlots: number },
): SetProblem {
  const size = queue.length;
  const maxDelay = Math.min(params.maxDelay, size - 1);
  const requesterIds = new Map<string, number>();
  const requesterOf = new Int32Array(size);
  const intensity = new Float64Array(size);
  queue.forEach((index, rank) => {
    const item = items[index]!;
    if (!requesterIds.has(item.requester)) requesterIds.set(item.requester, requesterIds.size);
    requesterOf[rank] = requesterIds.get(item.requester)!;
    intensity[rank] = item.intensity;
  });
  let opening: Float64Array | undefined;
  if (fromCurrent) {
    opening = new Float64Array(size);
    for (let rank = 0; rank <= maxDelay; rank++)
      opening[rank] = checkedScore(fromCurrent(queue[rank]!), 'current', rank);
  }
  return {
    size,
    maxDelay,
    maxWait: Math.max(2, requesterIds.size),
    requesterOf,
    requesterCount: requesterIds.size,
    mixWeight: 1 - params.arcWeight,
    arcWeight: params.arcWeight,
    mix: neighbourScores(queue, score, 2 * maxDelay + 1),
    opening,
    intensity,
    target: arcTargets(intensity, params.arc, params.arcSlots),
  };
}

function checkedScore(value: number, from: number | string, to: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`score from ${from} to ${to} is not a finite number`);
  return value;
}

/**
 * Caches score() for every pair of ranks at most `reach` apart — the only pairs that can be neighbours under the
 * delay rule — so score() is called at most n·(2·reach + 1) times, and never more than n² times.
 */
function neighbourScores(
  queue: number[],
  score: (from: number, to: number) => number,
  reach: number,
): (from: number, to: number) => number {
  const n = queue.length;
  const width = 2 * reach + 1;
  if (width >= n) {
    const full = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) if (a !== b) full[a * n + b] = checkedScore(score(queue[a]!, queue[b]!), a, b);
    }
    return (a, b) => full[a * n + b]!;
  }
  const band = new Float64Array(n * width);
  for (let a = 0; a < n; a++) {
    for (let b = Math.max(0, a - reach); b <= Math.min(n - 1, a + reach); b++) {
      if (a !== b) band[a * width + b - a + reach] = checkedScore(score(queue[a]!, queue[b]!), a, b);
    }
  }
  return (a, b) => band[a * width + b - a + reach]!;
}

/**
 * Target intensity per slot: rises from the playlist's 10th to its 90th intensity percentile during the warm-up,
 * stays there through the peak and falls back during the cool-down, over `span` slots (the first of which are
 * placed). Percentiles keep the targets reachable.
 */
function arcTargets(intensity: Float64Array, arc: EnergyArc, span: number): Float64Array {
  const n = intensity.length;
  const sorted = Float64Array.from(intensity).sort();
  const low = sorted[Math.floor(0.1 * (n - 1))]!;
  const high = sorted[Math.ceil(0.9 * (n - 1))]!;
  const target = new Float64Array(n);
  for (let slot = 0; slot < n; slot++) target[slot] = low + (high - low) * arcLevel((slot + 0.5) / span, arc);
  return target;
}

/** 0..1 height of the arc at fraction x of the set. */
function arcLevel(x: number, arc: EnergyArc): number {
  if (x < arc.warmUp) return x / arc.warmUp;
  const coolStart = arc.warmUp + arc.peak;
  if (x <= coolStart || arc.coolDown === 0) return 1;
  return Math.max(0, 1 - (x - coolStart) / arc.coolDown);
}

/** Mixability of playing `to` after `from`; −1 stands for the playing track (from) or for nothing (to). */
function transition(p: SetProblem, from: number, to: number): number {
  if (to < 0) return 0;
  if (from < 0) return p.opening ? p.opening[to]! : 0;
  return p.mix(from, to);
}

function arcFit(p: SetProblem, rank: number, slot: number): number {
  return -Math.abs(p.intensity[rank]! - p.target[slot]!);
}

function objective(p: SetProblem, slots: Int32Array): number {
  let mix = 0;
  let fit = 0;
  for (let t = 0; t < p.size; t++) {
    mix += transition(p, t === 0 ? -1 : slots[t - 1]!, slots[t]!);
    fit += arcFit(p, slots[t]!, t);
  }
  return p.mixWeight * mix + p.arcWeight * fit;
}

/** Greedy construction, then local search from the better of it and queue order. */
function smartOrder(p: SetProblem): Int32Array {
  const greedy = greedyOrder(p);
  const queue = Int32Array.from(greedy.keys());
  const start = objective(p, greedy) > objective(p, queue) ? greedy : queue;
  improve(p, start);
  return start;
}

/**
 * The slots chosen so far, and the fairness rules for the next one. A choice is allowed only if the remaining
 * tracks, played in queue order after it, keep both rules: queue order's own next track always qualifies, so
 * the greedy never paints itself into a corner.
 */
class Prefix {
  readonly placed: Uint8Array;
  /** Lowest unplaced rank. */
  firstUnplaced = 0;
  private readonly p: SetProblem;
  /** Slot of each requester's latest track, −1 before their first. */
  private readonly lastServed: Int32Array;
  private readonly ranksOf: number[][];
  /** Per requester, index into ranksOf of its lowest unplaced rank. */
  private readonly cursor: Int32Array;
  /** Scratch lastServed for the queue-order simulation, valid where simStamp equals stamp. */
  private readonly simLast: Int32Array;
  private readonly simStamp: Int32Array;
  private stamp = 0;

  constructor(p: SetProblem) {
    this.p = p;
    this.placed = new Uint8Array(p.size);
    this.lastServed = new Int32Array(p.requesterCount).fill(-1);
    this.ranksOf = Array.from({ length: p.requesterCount }, () => []);
    for (let rank = 0; rank < p.size; rank++) this.ranksOf[p.requesterOf[rank]!]!.push(rank);
    this.cursor = new Int32Array(p.requesterCount);
    this.simLast = new Int32Array(p.requesterCount);
    this.simStamp = new Int32Array(p.requesterCount);
  }

  place(slot: number, rank: number): void {
    this.placed[rank] = 1;
    this.lastServed[this.p.requesterOf[rank]!] = slot;
    while (this.firstUnplaced < this.p.size && this.placed[this.firstUnplaced]) this.firstUnplaced++;
  }

  canPlace(slot: number, rank: number): boolean {
    const { maxDelay, maxWait, requesterOf, size } = this.p;
    if (Math.abs(slot - rank) > maxDelay) return false;
    const requester = requesterOf[rank]!;
    // Served at `slot`, the requester waited since its last track or since its oldest pending rank came due.
    if (slot > Math.max(this.lastServed[requester]!, this.lowestUnplacedOf(requester)) + maxWait + 1) return false;

    this.stamp++;
    this.simStamp[requester] = this.stamp;
    this.simLast[requester] = slot;
    this.placed[rank] = 1;
    let ok = true;
    let next = this.firstUnplaced;
    for (let s = slot + 1; s < size; s++) {
      while (this.placed[next]) next++;
      // Every rank below s is placed: from here on queue order plays each track at its own rank.
      if (next === s) break;
      const r = requesterOf[next]!;
      const last = this.simStamp[r] === this.stamp ? this.simLast[r]! : this.lastServed[r]!;
      // In queue order `next` is its requester's lowest pending rank.
      if (s - next > maxDelay || s > Math.max(last, next) + maxWait + 1) {
        ok = false;
        break;
      }
      this.simStamp[r] = this.stamp;
      this.simLast[r] = s;
      next++;
    }
    this.placed[rank] = 0;
    return ok;
  }

  private lowestUnplacedOf(requester: number): number {
    const ranks = this.ranksOf[requester]!;
    let i = this.cursor[requester]!;
    while (i < ranks.length && this.placed[ranks[i]!]) i++;
    this.cursor[requester] = i;
    return i < ranks.length ? ranks[i]! : this.p.size;
  }
}

/** Fills slots one by one with the allowed track that best trades transition score against the arc target. */
function greedyOrder(p: SetProblem): Int32Array {
  const slots = new Int32Array(p.size);
  const prefix = new Prefix(p);
  const value = new Float64Array(p.size);
  const candidates: number[] = [];
  for (let t = 0; t < p.size; t++) {
    const previous = t === 0 ? -1 : slots[t - 1]!;
    candidates.length = 0;
    for (let rank = prefix.firstUnplaced; rank <= Math.min(p.size - 1, t + p.maxDelay); rank++) {
      if (prefix.placed[rank]) continue;
      value[rank] = p.mixWeight * transition(p, previous, rank) + p.arcWeight * arcFit(p, rank, t);
      candidates.push(rank);
    }
    candidates.sort((a, b) => value[b]! - value[a]! || a - b);
    const pick = candidates.find((rank) => prefix.canPlace(t, rank)) ?? prefix.firstUnplaced;
    slots[t] = pick;
    prefix.place(t, pick);
  }
  return slots;
}

/** Returns a checker of the starvation rule over a complete order (the delay rule is checked per move). */
function starvationChecker(p: SetProblem): (slots: Int32Array) => boolean {
  const previousServe = new Int32Array(p.size);
  const last = new Int32Array(p.requesterCount);
  const lowestPending = new Int32Array(p.requesterCount);
  return (slots) => {
    last.fill(-1);
    for (let t = 0; t < p.size; t++) {
      const r = p.requesterOf[slots[t]!]!;
      previousServe[t] = last[r]!;
      last[r] = t;
    }
    lowestPending.fill(p.size);
    for (let t = p.size - 1; t >= 0; t--) {
      const rank = slots[t]!;
      const r = p.requesterOf[rank]!;
      if (rank < lowestPending[r]!) lowestPending[r] = rank;
      // Before being served at t, r waited from max(previous serve, lowest pending rank) + 1 to t − 1.
      if (t > Math.max(previousServe[t]!, lowestPending[r]!) + p.maxWait + 1) return false;
    }
    return true;
  };
}

/** The moves of the local search on one set's slots, each kept only if it raises the objective and keeps both fairness rules. */
class SlotSearch {
  readonly span: number;
  private readonly p: SetProblem;
  private readonly slots: Int32Array;
  private readonly starvationOk: (slots: Int32Array) => boolean;
  /** The candidate for a window of slots, and the slots it replaced (to put them back). */
  private readonly next: Int32Array;
  private readonly saved: Int32Array;

  constructor(p: SetProblem, slots: Int32Array) {
    this.p = p;
    this.slots = slots;
    this.starvationOk = starvationChecker(p);
    this.span = Math.min(2 * p.maxDelay, MOVE_SPAN);
    this.next = new Int32Array(this.span + MAX_SEGMENT + 1);
    this.saved = new Int32Array(this.span + MAX_SEGMENT + 1);
  }

  /** Objective of slots a..b holding seq[from..], plus the transitions into and out of them. */
  private windowValue(seq: Int32Array, from: number, a: number, b: number): number {
    const { p, slots } = this;
    let mix = transition(p, a > 0 ? slots[a - 1]! : -1, seq[from]!);
    let fit = 0;
    for (let t = a; t <= b; t++) {
      const rank = seq[from + t - a]!;
      if (t > a) mix += transition(p, seq[from + t - a - 1]!, rank);
      fit += arcFit(p, rank, t);
    }
    if (b < p.size - 1) mix += transition(p, seq[from + b - a]!, slots[b + 1]!);
    return p.mixWeight * mix + p.arcWeight * fit;
  }

  /** Tries replacing slots a..b with next[0..]. */
  private tryWindow(a: number, b: number): boolean {
    const { slots, next, saved } = this;
    for (let t = a; t <= b; t++) if (Math.abs(t - next[t - a]!) > this.p.maxDelay) return false;
    if (this.windowValue(next, 0, a, b) <= this.windowValue(slots, a, a, b) + EPSILON) return false;
    for (let t = a; t <= b; t++) {
      saved[t - a] = slots[t]!;
      slots[t] = next[t - a]!;
    }
    if (this.starvationOk(slots)) return true;
    for (let t = a; t <= b; t++) slots[t] = saved[t - a]!;
    return false;
  }

  trySwap(i: number, j: number): boolean {
    const { p, slots, next } = this;
    const n = p.size;
    const x = slots[i]!;
    const y = slots[j]!;
    if (Math.abs(i - y) > p.maxDelay || Math.abs(j - x) > p.maxDelay) return false;
    if (j === i + 1) {
      next[0] = y;
      next[1] = x;
      return this.tryWindow(i, j);
    }
    const before = i > 0 ? slots[i - 1]! : -1;
    const after = j < n - 1 ? slots[j + 1]! : -1;
    const afterI = slots[i + 1]!;
    const beforeJ = slots[j - 1]!;
    const mixDelta =
      transition(p, before, y) +
      transition(p, y, afterI) +
      transition(p, beforeJ, x) +
      transition(p, x, after) -
      (transition(p, before, x) + transition(p, x, afterI) + transition(p, beforeJ, y) + transition(p, y, after));
    const fitDelta = arcFit(p, y, i) + arcFit(p, x, j) - arcFit(p, x, i) - arcFit(p, y, j);
    if (p.mixWeight * mixDelta + p.arcWeight * fitDelta <= EPSILON) return false;
    slots[i] = y;
    slots[j] = x;
    if (this.starvationOk(slots)) return true;
    slots[i] = x;
    slots[j] = y;
    return false;
  }

  /** Slots i..j in reverse order. */
  tryReversal(i: number, j: number): boolean {
    for (let t = i; t <= j; t++) this.next[t - i] = this.slots[i + j - t]!;
    return this.tryWindow(i, j);
  }

  /** Segment i..i+len−1 moved `shift` slots later (the tracks it jumps over move up), then `shift` slots earlier. */
  trySegmentMoves(i: number, len: number, shift: number): boolean {
    const { slots, next } = this;
    let improved = false;
    const end = i + len - 1 + shift;
    if (end < this.p.size) {
      for (let k = 0; k < shift; k++) next[k] = slots[i + len + k]!;
      for (let k = 0; k < len; k++) next[shift + k] = slots[i + k]!;
      if (this.tryWindow(i, end)) improved = true;
    }
    const start = i - shift;
    if (start >= 0) {
      for (let k = 0; k < len; k++) next[k] = slots[i + k]!;
      for (let k = 0; k < shift; k++) next[len + k] = slots[start + k]!;
      if (this.tryWindow(start, i + len - 1)) improved = true;
    }
    return improved;
  }
}

/**
 * First-improvement local search over swaps, reversals and moves of 1–3 consecutive tracks, all within the
 * delay window. A move is kept only if it raises the objective and keeps both fairness rules.
 */
function improve(p: SetProblem, slots: Int32Array): void {
  const n = p.size;
  const search = new SlotSearch(p, slots);
  const span = search.span;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let improved = false;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j <= Math.min(n - 1, i + 2 * p.maxDelay); j++) if (search.trySwap(i, j)) improved = true;
      for (let j = i + 2; j <= Math.min(n - 1, i + span); j++) if (search.tryReversal(i, j)) improved = true;
      for (let len = 1; len <= MAX_SEGMENT && i + len <= n; len++) {
        for (let shift = 1; shift <= span; shift++) if (search.trySegmentMoves(i, len, shift)) improved = true;
      }
    }
    if (!improved) break;
  }
}

function summarize(
  items: OrderItem[],
  queue: number[],
  slots: Int32Array,
  currentIndex: number,
  score: (from: number, to: number) => number,
  fromCurrent: ((to: number) => number) | undefined,
): OrderResult {
  const played = Array.from(slots, (rank) => queue[rank]!);
  let totalScore = 0;
  let transitions = 0;
  if (fromCurrent && played.length > 0) {
    totalScore += fromCurrent(played[0]!);
    transitions++;
  }
  for (let t = 1; t < played.length; t++) {
    totalScore += score(played[t - 1]!, played[t]!);
    transitions++;
  }
  let maxDelay = 0;
  slots.forEach((rank, slot) => (maxDelay = Math.max(maxDelay, slot - rank)));
  const order = played.map((index) => items[index]!.id);
  if (currentIndex >= 0) order.unshift(items[currentIndex]!.id);
  return { order, totalScore, meanScore: transitions > 0 ? totalScore / transitions : 0, maxDelay };
}
