import { ActionRowBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import type { Suggestion } from '../../../ai/suggest.ts';
import { displayTitle } from '../../discord/track-title.ts';

export const QUEUE_BUTTON_PREFIX = 'queue-add:';
const MAX_LABEL = 80;

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The `/suggest` answer: one field per suggestion with its score and reasons, and a button to queue each. */
export function suggestReply(after: string, suggestions: Suggestion[]) {
  if (suggestions.length === 0) {
    return {
      content: `Nothing in the server library mixes after "${displayTitle(after)}" yet. Add songs with /queue add.`,
      embeds: [],
      components: [],
    };
  }
  const embed = new EmbedBuilder().setTitle(clip(`What mixes well after ${displayTitle(after)}`, 256)).addFields(
    suggestions.map((s, i) => ({
      name: clip(`${i + 1}. ${displayTitle(s.title)} — ${Math.round(s.score * 100)} %`, 256),
      value: clip(s.reasons.join(' · '), 1024),
    })),
  );
  const buttons = suggestions.slice(0, 5).map((s, i) =>
    new ButtonBuilder()
      .setCustomId(`${QUEUE_BUTTON_PREFIX}${s.id}`)
      .setLabel(clip(`Queue ${i + 1}. ${s.title}`, MAX_LABEL))
      .setStyle(ButtonStyle.Secondary),
  );
  return {
    embeds: [embed.toJSON()],
    components: [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons).toJSON()],
  };
}
