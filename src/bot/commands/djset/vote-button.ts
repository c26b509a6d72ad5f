import type { FeedbackStore } from '../../../db/feedback-store.ts';
import type { GuildStore, PlayedTransition } from '../../../db/guild-store.ts';
import type { ButtonHandler } from '../command-routes.ts';
import { GUILD_ONLY } from '../queue/queue-handler.ts';
import { replyEphemeral } from '../../discord/reply-result.ts';
import { answerInTime } from '../../discord/timely-answer.ts';
import { displayTitle } from '../../discord/track-title.ts';

export const VOTE_TOO_OLD = 'That transition is too old to rate now. Vote on a recent "Now mixing" message.';

/** 👍/👎 on a "now mixing" message: one vote per member per transition (a second vote replaces the first). */
export function voteButtonHandler(store: GuildStore, feedback: FeedbackStore): ButtonHandler {
  return async (interaction, argument) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const [direction, transitionId] = argument.split(':');
    await answerInTime(interaction, true, async () => {
      const played = (await store.get(guildId)).transitions.find((t) => t.id === transitionId);
      if (!played || (direction !== 'up' && direction !== 'down')) return { ok: false, message: VOTE_TOO_OLD };
      return vote(store, feedback, { guildId, userId: interaction.user.id, played, direction });
    });
  };
}

/** Stores the vote as a labelled pair and in the transition's tally. */
async function vote(
  store: GuildStore,
  feedback: FeedbackStore,
  {
    guildId,
    userId,
    played,
    direction,
  }: { guildId: string; userId: string; played: PlayedTransition; direction: 'up' | 'down' },
): Promise<{ ok: boolean; message: string }> {
  const liked = direction === 'up';
  await feedback.add({
    id: `vote:${played.id}:${userId}`,
    guildId,
    fromHash: played.fromHash,
    toHash: played.toHash,
    liked,
    source: 'vote',
    userId,
    at: new Date().toISOString(),
  });
  // The tally shown by /queue history (a member's second vote replaces the first).
  await store.update(guildId, (s) => ({
    ...s,
    transitions: s.transitions.map((t) =>
      t.id === played.id ? { ...t, votes: { ...t.votes, [userId]: direction } } : t,
    ),
  }));
  return {
    ok: true,
    message: `Thanks: ${liked ? '👍' : '👎'} noted for "${displayTitle(played.fromTitle)}" → "${displayTitle(played.toTitle)}". Votes teach the mix scorer when it is retrained (minidj train).`,
  };
}
