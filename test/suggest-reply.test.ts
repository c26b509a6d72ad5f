import { describe, expect, it } from 'vitest';
import type { Suggestion } from '../src/ai/suggest.ts';
import { QUEUE_BUTTON_PREFIX, suggestReply } from '../src/bot/commands/suggest/suggest-reply.ts';

const suggestion = (i: number, title = `Track ${i}`): Suggestion => ({
  id: String(i).repeat(64).slice(0, 64),
  title,
  score: 0.9 - i / 10,
  bpm: 126,
  camelot: '9A',
  stretchPct: 1.6,
  relation: 'adjacent',
  reasons: ['126→128 BPM (+1.6 %)', '8A→9A (neighbouring key)', 'energy +1'],
});

describe('/suggest reply', () => {
  it('lists each suggestion with its reasons and a button that queues it', () => {
    const reply = suggestReply('Night Bus', [suggestion(1), suggestion(2), suggestion(3)]);
    const embed = reply.embeds[0]!;
    expect(embed.title).toBe('What mixes well after Night Bus');
    expect(embed.fields!.map((f) => f.name)).toEqual(['1. Track 1 — 80 %', '2. Track 2 — 70 %', '3. Track 3 — 60 %']);
    expect(embed.fields![0]!.value).toBe('126→128 BPM (+1.6 %) · 8A→9A (neighbouring key) · energy +1');
    const buttons = reply.components[0]!.components as { custom_id: string; label: string }[];
    expect(buttons.map((b) => b.custom_id)).toEqual(
      [1, 2, 3].map((i) => `${QUEUE_BUTTON_PREFIX}${String(i).repeat(64).slice(0, 64)}`),
    );
    expect(buttons.every((b) => b.custom_id.length <= 100)).toBe(true);
  });

  it('keeps within Discord limits: at most 5 buttons, labels of at most 80 characters', () => {
    const many = Array.from({ length: 8 }, (_, i) =>
      suggestion(i, `A very long track title that goes on and on and on ${'x'.repeat(100)}`),
    );
    const reply = suggestReply('x', many);
    const buttons = reply.components[0]!.components as { label: string }[];
    expect(buttons).toHaveLength(5);
    expect(Math.max(...buttons.map((b) => b.label.length))).toBeLessThanOrEqual(80);
    expect(reply.embeds[0]!.fields).toHaveLength(8);
  });

  it('says what to do when nothing fits', () => {
    expect(suggestReply('Night Bus', [])).toEqual({
      content: 'Nothing in the server library mixes after "Night Bus" yet. Add songs with /queue add.',
      embeds: [],
      components: [],
    });
  });
});
