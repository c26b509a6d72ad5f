import { describe, expect, it } from 'vitest';
import { orderSet } from '../src/ai/set-order.ts';
import type { OrderItem, OrderOptions } from '../src/ai/set-order.ts';

/** mulberry32: a small seeded PRNG, so random instances are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Instance {
  items: OrderItem[];
  score: (from: number, to: number) => number;
}

/** n tracks, `minor` extra requesters besides one who queued ~80 % of them, random directional scores. */
function randomInstance(seed: number, n: number, minor = 4): Instance {
  const rand = prng(seed);
  const items: OrderItem[] = [];
  for (let i = 0; i < n; i++) {
    const requester = rand() < 0.8 ? 'heavy' : `member${Math.floor(rand() * minor)}`;
    // queuedAt ties (two tracks share each value) exercise the id tie-break.
    items.push({ id: `t${seed}-${i}`, requester, queuedAt: Math.floor(i / 2), intensity: rand() });
  }
  // Listed in a shuffled order: the queue comes from queuedAt, not from the array order.
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  const matrix = Float64Array.from({ length: n * n }, () => rand());
  return { items, score: (a, b) => matrix[a * n + b]! };
}

function matrixScore(ids: string[], pairs: Record<string, number>, otherwise: number) {
  return (from: number, to: number): number => pairs[`${ids[from]}>${ids[to]}`] ?? otherwise;
}

/** Independent check of the fairness rules, slot by slot, straight from their wording. */
function fairnessViolations(items: OrderItem[], order: string[], maxDelay: number): string[] {
  const queue = [...items].sort((a, b) => a.queuedAt - b.queuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const position = new Map(queue.map((item, pos) => [item.id, pos]));
  const slot = new Map(order.map((id, s) => [id, s]));
  const requesterOf = new Map(items.map((item) => [item.id, item.requester]));
  const violations: string[] = [];
  for (const [id, s] of slot) {
    const pos = position.get(id)!;
    if (Math.abs(s - pos) > maxDelay) violations.push(`${id} plays at slot ${s}, queued at ${pos}`);
  }
  const requesters = [...new Set(items.map((item) => item.requester))];
  const maxWait = Math.max(2, requesters.length);
  const waited = new Map(requesters.map((r) => [r, 0]));
  for (let t = 0; t < order.length; t++) {
    const served = requesterOf.get(order[t]!);
    for (const r of requesters) {
      const pending = queue.some(
        (item) => item.requester === r && position.get(item.id)! < t && slot.get(item.id)! >= t,
      );
      const run = r !== served && pending ? waited.get(r)! + 1 : 0;
      waited.set(r, run);
      if (run > maxWait) violations.push(`${r} waits ${run} slots at slot ${t}`);
    }
  }
  return violations;
}

function queueIds(items: OrderItem[]): string[] {
  return orderSet(items, () => 0, { mode: 'queue' }).order;
}

describe('fairness checker used by these tests', () => {
  const items: OrderItem[] = ['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4'].map((id, i) => ({
    id,
    requester: id[0]!,
    queuedAt: i,
    intensity: 0.5,
  }));

  it('flags a track played too late', () => {
    expect(fairnessViolations(items, [...queueIds(items)].reverse(), 4).some((v) => v.includes('plays at'))).toBe(true);
  });

  it('flags a starved requester', () => {
    // c1 (queued 3rd) plays last: c waits at slots 3..7, five slots > max(2, 3 requesters).
    const order = ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4', 'c1'];
    expect(fairnessViolations(items, order, 10)).toEqual(['c waits 4 slots at slot 6', 'c waits 5 slots at slot 7']);
  });
});

describe('orderSet', () => {
  it('queue mode plays in queue order (queuedAt, then id) and still scores it', () => {
    const items: OrderItem[] = [
      { id: 'b', requester: 'x', queuedAt: 2, intensity: 0.2 },
      { id: 'a', requester: 'y', queuedAt: 0, intensity: 0.9 },
      { id: 'd', requester: 'x', queuedAt: 1, intensity: 0.5 },
      { id: 'c', requester: 'x', queuedAt: 1, intensity: 0.1 },
    ];
    const score = (from: number, to: number): number => (from + 1) / 10 + to / 100;
    const result = orderSet(items, score, { mode: 'queue' });
    expect(result.order).toEqual(['a', 'c', 'd', 'b']);
    // a→c, c→d, d→b with indices a=1, c=3, d=2, b=0
    expect(result.totalScore).toBeCloseTo(0.23 + 0.42 + 0.3, 12);
    expect(result.meanScore).toBeCloseTo((0.23 + 0.42 + 0.3) / 3, 12);
    expect(result.maxDelay).toBe(0);
  });

  it('smart mode finds the chain A→B→C that the queue (C, A, B) breaks, and reports the better total', () => {
    const ids = ['C', 'A', 'B'];
    const items = ids.map((id, i): OrderItem => ({ id, requester: 'dj', queuedAt: i, intensity: 0.5 }));
    const score = matrixScore(ids, { 'A>B': 1, 'B>C': 1 }, 0.1);
    const queue = orderSet(items, score, { mode: 'queue' });
    const smart = orderSet(items, score, { mode: 'smart' });
    expect(queue.order).toEqual(['C', 'A', 'B']);
    expect(queue.totalScore).toBeCloseTo(1.1, 12);
    expect(smart.order).toEqual(['A', 'B', 'C']);
    expect(smart.totalScore).toBeCloseTo(2, 12);
    expect(smart.meanScore).toBeCloseTo(1, 12);
    expect(smart.maxDelay).toBe(2);
  });

  it.each([
    ['one requester, no delay bound', 1, 40],
    ['three requesters, default delay bound', 3, undefined],
  ])('smart mode follows the energy arc when scores are neutral (%s)', (_, requesters, maxDelaySlots) => {
    const rand = prng(7);
    const n = 40;
    const items = Array.from({ length: n }, (_, i): OrderItem => ({
      id: `t${i}`,
      requester: `m${i % requesters}`,
      queuedAt: i,
      intensity: rand(),
    }));
    const byId = new Map(items.map((item) => [item.id, item.intensity]));
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    const thirds = (order: string[]): [number, number, number] => {
      const intensities = order.map((id) => byId.get(id)!);
      return [
        mean(intensities.slice(0, 0.3 * n)),
        mean(intensities.slice(0.3 * n, 0.8 * n)),
        mean(intensities.slice(0.8 * n)),
      ];
    };
    // The queue itself ends louder than its middle: the arc has to be the optimizer's doing.
    const [, queuePeak, queueCoolDown] = thirds(queueIds(items));
    expect(queueCoolDown).toBeGreaterThan(queuePeak);

    const result = orderSet(items, () => 0.5, { mode: 'smart', maxDelaySlots });
    const [warmUp, peak, coolDown] = thirds(result.order);
    expect(peak - warmUp).toBeGreaterThan(0.05);
    expect(peak - coolDown).toBeGreaterThan(0.05);
    expect(fairnessViolations(items, result.order, maxDelaySlots ?? 8)).toEqual([]);
  });

  it.each([
    [1, 8, 4],
    [2, 8, 1],
    [3, 4, 4],
    [4, 2, 2],
    [5, 20, 4],
    [6, 0, 3],
  ])(
    'keeps the delay bound and the starvation rule on 200 random tracks (seed %i, maxDelaySlots %i)',
    (seed, maxDelaySlots, minor) => {
      const { items, score } = randomInstance(seed, 200, minor);
      const result = orderSet(items, score, { mode: 'smart', maxDelaySlots });
      expect([...result.order].sort()).toEqual(items.map((item) => item.id).sort());
      expect(fairnessViolations(items, result.order, maxDelaySlots)).toEqual([]);
      const queue = queueIds(items);
      const lateness = result.order.map((id, slot) => slot - queue.indexOf(id));
      expect(result.maxDelay).toBe(Math.max(0, ...lateness));
    },
  );

  it('improves mixability over the queue on random instances without breaking the rules', () => {
    for (const seed of [11, 12, 13]) {
      const { items, score } = randomInstance(seed, 200);
      const queue = orderSet(items, score, { mode: 'queue' });
      const smart = orderSet(items, score, { mode: 'smart', arcWeight: 0 });
      expect(smart.totalScore).toBeGreaterThan(queue.totalScore + 10);
      expect(fairnessViolations(items, smart.order, 8)).toEqual([]);
    }
  });

  it('is deterministic, whatever the order the playlist is listed in', () => {
    const { items, score } = randomInstance(21, 120);
    const first = orderSet(items, score, { mode: 'smart' });
    const second = orderSet(items, score, { mode: 'smart' });
    expect(second).toEqual(first);
    const permutation = items.map((_, i) => i).reverse();
    const reversed = permutation.map((i) => items[i]!);
    const third = orderSet(reversed, (a, b) => score(permutation[a]!, permutation[b]!), { mode: 'smart' });
    expect(third).toEqual(first);
  });

  it('continues from the playing track, whether or not it is in the playlist', () => {
    const ids = ['A', 'B', 'C'];
    const items = ids.map((id, i): OrderItem => ({ id, requester: 'dj', queuedAt: i, intensity: 0.5 }));
    const score = matrixScore(ids, { 'A>C': 1, 'C>B': 1 }, 0);
    const inList = orderSet(items, score, { mode: 'smart', current: 'A' });
    expect(inList.order).toEqual(['A', 'C', 'B']);
    expect(inList.totalScore).toBeCloseTo(2, 12);

    const two = items.slice(1);
    const fromCurrent = (to: number): number => (two[to]!.id === 'C' ? 1 : 0);
    const options: OrderOptions = { mode: 'smart', current: 'playing-now', scoreFromCurrent: fromCurrent };
    const external = orderSet(two, (a, b) => score(a + 1, b + 1), options);
    expect(external.order).toEqual(['C', 'B']);
    expect(external.totalScore).toBeCloseTo(2, 12);
    expect(external.meanScore).toBeCloseTo(1, 12);
    const queued = orderSet(two, (a, b) => score(a + 1, b + 1), { ...options, mode: 'queue' });
    expect(queued.order).toEqual(['B', 'C']);
    expect(queued.totalScore).toBe(0);
  });

  it('orders 500 tracks correctly, calling the scorer at most n² times', () => {
    const { items, score } = randomInstance(31, 500);
    let calls = 0;
    const counted = (a: number, b: number): number => {
      calls++;
      return score(a, b);
    };
    const smart = orderSet(items, counted, { mode: 'smart' });
    expect([...smart.order].sort()).toEqual(items.map((item) => item.id).sort());
    expect(fairnessViolations(items, smart.order, 8)).toEqual([]);
    expect(smart.totalScore).toBeGreaterThan(orderSet(items, score, { mode: 'queue' }).totalScore);
    expect(calls).toBeLessThanOrEqual(500 * 500);
  });

  it('rejects duplicate ids and out-of-range options', () => {
    const item: OrderItem = { id: 'x', requester: 'a', queuedAt: 0, intensity: 0.5 };
    expect(() => orderSet([item, item], () => 0, { mode: 'smart' })).toThrow(/duplicate/);
    expect(() => orderSet([item], () => 0, { mode: 'smart', maxDelaySlots: -1 })).toThrow(/maxDelaySlots/);
    expect(() => orderSet([item], () => 0, { mode: 'smart', arcWeight: 2 })).toThrow(/arcWeight/);
  });
});
