import { describe, expect, it } from 'vitest';
import type { LiveTrack } from '../src/bot/playlist/next-track.ts';
import type { PlayOrder } from '../src/bot/playlist/play-order.ts';
import { EMPTY_PLAYLIST, playOrderPage } from '../src/bot/commands/queue/queue-list.ts';
import { defaultGuildState } from '../src/db/guild-store.ts';
import type { GuildState, PlaylistEntry } from '../src/db/guild-store.ts';

const people = ['alice', 'bob', 'dj'];
const entry = (i: number): PlaylistEntry => ({
  id: `e${i}`,
  hash: `h${i}`,
  title: `Song ${i}`,
  requesterId: people[(i - 1) % 3]!,
  addedAt: new Date(Date.UTC(2025, 5, 1, 20, 0, i)).toISOString(),
});
const track = (e: PlaylistEntry): LiveTrack => ({
  id: e.hash,
  hash: e.hash,
  file: `${e.hash}.wav`,
  title: e.title,
  entry: e,
  analysis: {} as LiveTrack['analysis'],
});

/** A playlist of `n`, played in reverse (as a smart order might); with a set playing, each 3 minutes after the one before. */
function reversed(n: number, live = false): { state: GuildState; order: PlayOrder } {
  const playlist = Array.from({ length: n }, (_, i) => entry(i + 1));
  const plays = [...playlist]
    .reverse()
    .map((e, i) => ({ track: track(e), ...(live ? { startsInSec: 30 + 180 * i } : {}) }));
  return { state: { ...defaultGuildState('g'), playlist }, order: { plays, unplayable: [] } };
}

describe('playOrderPage: /queue list as the set will play it', () => {
  it('says when the playlist is empty', () => {
    const { state, order } = reversed(0);
    expect(playOrderPage({ order, state, mode: 'smart', live: false, page: 1, viewerId: 'alice', total: 0 })).toEqual({
      ok: true,
      message: EMPTY_PLAYLIST,
      page: 1,
      pages: 0,
      total: 0,
    });
  });

  it('lists the play order with when each comes in, who queued it (yours marked) and its playlist position', () => {
    const { state, order } = reversed(3, true);
    expect(
      playOrderPage({ order, state, mode: 'smart', live: true, page: 1, viewerId: 'bob', total: 3 }).message.split(
        '\n',
      ),
    ).toEqual([
      'Coming up (smart order: the planned picks; times are estimates; #: position for /queue remove and /queue move):',
      '1. in ~0:30 · Song 3 — <@dj> · #3',
      '2. in ~3:30 · Song 2 — <@bob> (yours) · #2',
      '3. in ~6:30 · Song 1 — <@alice> · #1',
      'Then the server library, picked as the set plays.',
      'Page 1/1',
    ]);
  });

  it('pages through a long order and names the pages that exist', () => {
    const { state, order } = reversed(25);
    const first = playOrderPage({ order, state, mode: 'queue', live: false, page: 1, viewerId: 'nobody', total: 25 });
    expect(first).toMatchObject({ ok: true, page: 1, pages: 3, total: 25 });
    expect(first.message.split('\n')[0]).toBe(
      'Playlist (25 songs), as a set started now would play it (queue order; #: position for /queue remove and /queue move):',
    );
    expect(first.message.split('\n').at(-1)).toBe('Page 1/3 — /queue list page:2 for more');
    const last = playOrderPage({ order, state, mode: 'queue', live: false, page: 3, viewerId: 'nobody', total: 25 });
    expect(last.message.split('\n').slice(1)).toEqual([
      ...Array.from({ length: 5 }, (_, i) => `${i + 21}. Song ${5 - i} — <@${people[(4 - i) % 3]}> · #${5 - i}`),
      'Page 3/3',
    ]);
    expect(playOrderPage({ order, state, mode: 'queue', live: false, page: 4, viewerId: 'x', total: 25 })).toEqual({
      ok: false,
      message: 'There is no page 4; the playlist has pages 1–3.',
    });
    expect(playOrderPage({ order, state, mode: 'queue', live: false, page: 0, viewerId: 'x', total: 25 })).toEqual({
      ok: false,
      message: 'There is no page 0; the playlist has pages 1–3.',
    });
    expect(playOrderPage({ order, state, mode: 'queue', live: false, page: 2, viewerId: 'x', total: 1 })).toEqual({
      ok: false,
      message: 'There is no page 2; the playlist has only page 1.',
    });
  });

  it('names the songs the set will leave out, their audio gone', () => {
    const { state, order } = reversed(1);
    const gone = { ...entry(9), title: '**gone**' };
    expect(
      playOrderPage({
        order: { ...order, unplayable: [gone] },
        state,
        mode: 'smart',
        live: false,
        page: 1,
        viewerId: 'x',
        total: 1,
      }).message,
    ).toContain('Left out, their audio gone from the library: "\\*\\*gone\\*\\*".');
  });
});
