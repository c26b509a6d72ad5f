import { describe, expect, it } from 'vitest';
import { SetEngine } from '../src/audio/set/set-engine.ts';
import type { SetEvent } from '../src/audio/set/set-engine.ts';
import { handsCrate } from './helpers/hands-crate.ts';

describe('a transition that cannot be rendered', () => {
  it('becomes a cut, and the set says why (a recovered deck-error) instead of dropping the error', async () => {
    const [a, b] = (await handsCrate()).tracks;
    const events: SetEvent[] = [];
    const failure = new Error('the render worker died');
    const engine = new SetEngine([a!, b!], {
      renderer: { render: () => Promise.reject(failure) },
      onEvent: (e) => events.push(e),
    });
    let samples = 0;
    for await (const chunk of engine.stream()) samples += chunk.length;
    expect(samples).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'deck-error')).toEqual([
      { type: 'deck-error', track: b, error: failure, recovered: true },
    ]);
    expect(events.filter((e) => e.type === 'transition').map((e) => e.type === 'transition' && e.to)).toEqual([b]);
  }, 180_000);
});
