import { describe, expect, it } from 'vitest';
import type { RepliableInteraction } from 'discord.js';
import { answerInTime, TimelyAnswer } from '../src/bot/discord/timely-answer.ts';

/** The calls an interaction receives, in order (each answered at once, as Discord would). */
function recorder() {
  const calls: string[] = [];
  const interaction = {
    deferred: false,
    replied: false,
    reply: async (o: { flags?: number; content: string }) =>
      void calls.push(`reply${o.flags ? ' ephemeral' : ''}: ${o.content}`),
    deferReply: async (o: { flags?: number }) => {
      calls.push(`defer${o.flags ? ' ephemeral' : ''}`);
      interaction.deferred = true;
    },
    editReply: async (o: { content: string }) => void calls.push(`edit: ${o.content}`),
    followUp: async (o: { flags?: number; content: string }) =>
      void calls.push(`followUp${o.flags ? ' ephemeral' : ''}: ${o.content}`),
    deleteReply: async () => void calls.push('delete'),
  };
  return { calls, interaction: interaction as unknown as RepliableInteraction };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TimelyAnswer: answered directly when quick, acknowledged in time when not', () => {
  it('replies directly when the work is quick (a refusal to the member alone)', async () => {
    const { calls, interaction } = recorder();
    await answerInTime(interaction, false, async () => ({ ok: false, message: 'no' }));
    expect(calls).toEqual(['reply ephemeral: no']);
  });

  it('defers once the work has taken too long, then edits the deferral (a refusal: to the member alone)', async () => {
    const slow = recorder();
    const answer = new TimelyAnswer(slow.interaction, false, 50);
    await wait(120);
    await answer.send({ ok: true, message: 'done' });
    expect(slow.calls).toEqual(['defer', 'edit: done']);
    const refused = recorder();
    await answerInTime(refused.interaction, false, async (a) => {
      await a.defer();
      return { ok: false, message: 'no' };
    });
    expect(refused.calls).toEqual(['defer', 'followUp ephemeral: no', 'delete']);
  });

  it('keeps an ephemeral answer ephemeral, deferred or not, and defers no more once the work failed', async () => {
    const { calls, interaction } = recorder();
    await answerInTime(interaction, true, async (a) => {
      await a.defer();
      return { ok: true, message: 'yes' };
    });
    expect(calls).toEqual(['defer ephemeral', 'edit: yes']);
    const failed = recorder();
    const answer = new TimelyAnswer(failed.interaction, false, 30);
    await answer.abandon();
    await wait(60);
    expect(failed.calls).toEqual([]);
  });
});
