import { describe, expect, it } from 'vitest';
import { RenderSlots } from '../src/audio/transition/render-slots.ts';

describe('RenderSlots', () => {
  it('runs at most `concurrency` renders at once, then the one due soonest (ties in the order asked)', async () => {
    const slots = new RenderSlots(2);
    const started: string[] = [];
    const ask = (name: string, due: number) => slots.acquire(due).then(() => started.push(name));
    const all = [ask('a', 50), ask('b', 60), ask('late', 90), ask('skip', 5), ask('tie-1', 70), ask('tie-2', 70)];
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual(['a', 'b']);
    for (let i = 0; i < 4; i++) {
      slots.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(all);
    expect(started).toEqual(['a', 'b', 'skip', 'tie-1', 'tie-2', 'late']);
  });

  it('frees a slot when nothing waits', async () => {
    const slots = new RenderSlots(1);
    await slots.acquire(0);
    slots.release();
    let ran = false;
    await slots.acquire(10).then(() => (ran = true));
    expect(ran).toBe(true);
  });
});
