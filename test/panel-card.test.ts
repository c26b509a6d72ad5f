import { describe, expect, it } from 'vitest';
import type { LiveTrack } from '../src/bot/playlist/next-track.ts';
import { describeTransition } from '../src/bot/live/now-mixing-message.ts';
import { panelCard } from '../src/bot/live/panel-card.ts';
import type { PanelInput } from '../src/bot/live/panel-card.ts';
import type { TransitionReport } from '../src/audio/set/set-report.ts';
import { activeTokens, shownText } from './helpers/discord-markdown.ts';

const analysis = { bpm: 124.2, camelot: '8A', durationSec: 200 } as LiveTrack['analysis'];
const track: LiveTrack = {
  id: 'h1',
  hash: 'h1',
  file: 'h1.wav',
  title: 'Night Drive',
  artist: '**DJ** <@123456789012345678>',
  analysis,
  entry: { id: 'e1', hash: 'h1', title: 'Night Drive', requesterId: '42', addedAt: '2026-01-01T00:00:00.000Z' },
};
const report = {
  from: { title: 'A', bpm: 124, key: 'A minor', camelot: '8A' },
  to: { title: 'Night Drive', bpm: 124, key: 'A minor', camelot: '8A' },
  style: 'blend',
  overlapBars: 16,
  stretchPct: 0,
} as TransitionReport;
const base: PanelInput = { status: 'playing', now: { track, positionSec: 65 }, voiceChannelId: '7', listeners: 3 };
const ids = (card: { components: unknown[] }) =>
  (card.components as { components: { custom_id: string; disabled?: boolean }[] }[]).map((row) =>
    row.components.map((c) => `${c.custom_id}${c.disabled ? ' (disabled)' : ''}`),
  );

describe("panelCard: the set's live panel", () => {
  it('shows the song and its artist (escaped), position, BPM and key, who queued it, the listeners and the controls', () => {
    const card = panelCard(base);
    const lines = card.content.split('\n');
    expect(activeTokens(lines[0]!, ['**DJ**', '<@123456789012345678>'])).toEqual([]);
    expect(shownText(lines[0]!)).toBe(
      '**Now playing:** Night Drive — **DJ** <@123456789012345678> (124 BPM, 8A) — 1:05 / 3:20, queued by <@42>',
    );
    expect(lines.at(-1)).toBe('<#7> · 3 listening · live');
    expect(ids(card)).toEqual([['panel:pause', 'panel:skip', 'panel:stop', 'panel:queue']]);
  });

  it('says what comes next: after the mix playing, when paused, while picking, or that nothing can follow', () => {
    expect(panelCard({ ...base, mixingInto: track }).content.split('\n')[1]).toBe(
      '**Next:** picked once this mix is over',
    );
    expect(panelCard({ ...base, status: 'paused', mixingInto: track }).content.split('\n')[1]).toBe(
      '**Next:** planned again when the set resumes',
    );
    expect(panelCard({ ...base, picking: true }).content.split('\n')[1]).toBe('**Next:** picking the next song…');
    expect(panelCard(base).content.split('\n')[1]).toBe(
      '**Next:** nothing to mix into yet (add songs with /queue add)',
    );
  });

  it('shows the last mix with its 👍/👎, skip votes, and Resume while paused (Skip disabled)', () => {
    const card = panelCard({
      ...base,
      status: 'paused',
      lastMix: { id: 'abcd1234', report },
      skipVotes: { votes: 1, needed: 2 },
    });
    expect(card.content).toContain('**Last mix:** **A** → **Night Drive** (16-bar EQ blend, 8A → 8A, 124 → 124 BPM).');
    expect(card.content.split('\n').at(-1)).toBe(
      '<#7> · 3 listening · paused (Resume or /djset resume carries on) · skip votes 1 of 2',
    );
    expect(ids(card)).toEqual([
      ['panel:resume', 'panel:skip (disabled)', 'panel:stop', 'panel:queue'],
      ['vote:up:abcd1234', 'vote:down:abcd1234'],
    ]);
  });

  it('once the set has ended (or the bot restarts), says so and has no buttons', () => {
    expect(panelCard({ ...base, status: 'ended', lastMix: { id: 'abcd1234', report } })).toEqual({
      content: '**The set has ended.** /djset start carries on.\n<#7> · 3 listening · the set has ended',
      components: [],
    });
    const restarting = panelCard({ ...base, status: 'restarting' });
    expect(restarting.content.split('\n').at(-1)).toBe(
      '<#7> · 3 listening · Mini-DJ is restarting: the set resumes here in a moment',
    );
    expect(restarting.components).toEqual([]);
  });
});

describe('describeTransition: how a transition is made, in one line', () => {
  const decks = { from: { bpm: 145, camelot: '5A' }, to: { bpm: 146, camelot: '5A' } };
  it('says a tempo change made by resampling moves the pitch (vinyl), and one through the stretcher keeps the key', () => {
    expect(describeTransition({ style: 'blend', overlapBars: 16, stretchPct: 0.69, pitchCents: 11.9, ...decks })).toBe(
      '16-bar EQ blend, pitched +0.7 % (vinyl, +12 cents), 5A → 5A, 145 → 146 BPM',
    );
    expect(describeTransition({ style: 'blend', overlapBars: 16, stretchPct: 1.6, pitchCents: 0, ...decks })).toBe(
      '16-bar EQ blend, stretched +1.6 %, 5A → 5A, 145 → 146 BPM',
    );
  });
});
