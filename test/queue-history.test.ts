import { describe, expect, it } from 'vitest';
import { defaultGuildState } from '../src/db/guild-store.ts';
import { HISTORY_PAGE_SIZE, historyPage, NOTHING_PLAYED } from '../src/bot/commands/queue/queue-history.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 20, minute)).toISOString();

describe('/queue history', () => {
  it('lists newest first: who added each song, the library picks, and how the transition into it was voted', () => {
    const state = {
      ...defaultGuildState('1'),
      history: [
        { hash: 'a'.repeat(64), playedAt: at(0), title: 'Opener', requesterId: '11', addedAt: at(0) },
        { hash: 'b'.repeat(64), playedAt: at(5), title: 'Second', transitionId: 't1' },
        {
          hash: 'c'.repeat(64),
          playedAt: at(9),
          title: 'Third',
          requesterId: '12',
          addedAt: at(1),
          transitionId: 't2',
        },
      ],
      transitions: [
        {
          id: 't1',
          fromHash: 'a'.repeat(64),
          toHash: 'b'.repeat(64),
          fromTitle: 'Opener',
          toTitle: 'Second',
          at: at(5),
          votes: { '11': 'up' as const, '12': 'up' as const, '13': 'down' as const },
        },
        {
          id: 't2',
          fromHash: 'b'.repeat(64),
          toHash: 'c'.repeat(64),
          fromTitle: 'Second',
          toTitle: 'Third',
          at: at(9),
          skipped: true,
        },
      ],
    };
    const page = historyPage(state, 1);
    expect(page.ok).toBe(true);
    expect(page.message.split('\n')).toEqual([
      'Played here (page 1 of 1, newest first):',
      `1. **Third** — added by <@12>, <t:${Date.parse(at(9)) / 1000}:R> · mixed in: no votes, skipped`,
      `2. **Second** — from the server library, <t:${Date.parse(at(5)) / 1000}:R> · mixed in: 👍 2 👎 1`,
      `3. **Opener** — added by <@11>, <t:${Date.parse(at(0)) / 1000}:R>`,
    ]);
  });

  it('pages by ten and says when there is nothing', () => {
    expect(historyPage(defaultGuildState('1'), 1)).toEqual({ ok: false, message: NOTHING_PLAYED });
    const history = Array.from({ length: HISTORY_PAGE_SIZE + 3 }, (_, i) => ({
      hash: String(i).padStart(64, '0'),
      playedAt: at(i),
      title: `T${i}`,
    }));
    const second = historyPage({ ...defaultGuildState('1'), history }, 2);
    expect(
      second.message
        .split('\n')
        .slice(1)
        .map((l) => l.split(' — ')[0]),
    ).toEqual(['11. **T2**', '12. **T1**', '13. **T0**']);
    expect(historyPage({ ...defaultGuildState('1'), history }, 3)).toEqual({
      ok: false,
      message: 'There are 2 pages of history.',
    });
  });
});
