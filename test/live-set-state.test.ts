import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { publicState, releaseReplaced, sameState } from '../src/bot/live/live-set-state.ts';
import type { LiveState, Playback } from '../src/bot/live/live-set-state.ts';

/** A playback whose broadcast counts its closes (the real one needs an engine and a player; only close() is called). */
function playback(): Playback & { closes: number } {
  const p = { closes: 0, engine: undefined as never, broadcast: { close: () => void p.closes++ } as never };
  return p;
}

describe('a live set state owns its timers and playback', () => {
  it('a timer the next state does not carry is cleared; one carried over still fires', async () => {
    const fired: string[] = [];
    const played = playback();
    const saveTimer = setInterval(() => fired.push('save'), 15);
    const emptyTimer = setTimeout(() => fired.push('empty'), 15);
    const playing: LiveState = { status: 'playing', playback: played, saveTimer, emptyTimer };
    const paused: LiveState = {
      status: 'paused',
      by: 'member',
      playback: played,
      saveTimer,
      leaveTimer: setTimeout(() => fired.push('leave'), 15),
    };
    releaseReplaced(playing, paused);
    await sleep(40);
    expect(fired).toContain('save');
    expect(fired).toContain('leave');
    expect(fired).not.toContain('empty');
    expect(played.closes).toBe(0);
    const ended: LiveState = { status: 'ended', reason: 'stopped', playback: played };
    releaseReplaced(paused, ended);
    const heard = fired.length;
    await sleep(40);
    expect(fired.length).toBe(heard);
    expect(played.closes).toBe(1);
  });

  it('a replaced playback is closed, a carried one is not', () => {
    const [a, b] = [playback(), playback()];
    const saveTimer = setInterval(() => undefined, 1000);
    try {
      releaseReplaced({ status: 'connecting', playback: a, saveTimer }, { status: 'playing', playback: a, saveTimer });
      expect(a.closes).toBe(0);
      releaseReplaced(
        { status: 'paused', by: 'member', playback: a, saveTimer },
        { status: 'playing', playback: b, saveTimer },
      );
      expect([a.closes, b.closes]).toEqual([1, 0]);
    } finally {
      clearInterval(saveTimer);
    }
  });

  it('others see the status, why it paused or ended, and nothing it owns', () => {
    const p = playback();
    const saveTimer = setInterval(() => undefined, 1000);
    clearInterval(saveTimer);
    expect(publicState({ status: 'paused', by: 'empty', playback: p, saveTimer })).toEqual({
      status: 'paused',
      by: 'empty',
    });
    expect(publicState({ status: 'ended', reason: 'lost', playback: p })).toEqual({ status: 'ended', reason: 'lost' });
    expect(sameState({ status: 'paused', by: 'empty' }, { status: 'paused', by: 'member' })).toBe(false);
    expect(sameState({ status: 'playing' }, { status: 'playing' })).toBe(true);
  });
});
