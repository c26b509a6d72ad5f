import type { RepliableInteraction } from 'discord.js';
import type { RouteHandler } from '../command-routes.ts';
import type { FeedbackStore } from '../../../db/feedback-store.ts';
import type { GuildStore } from '../../../db/guild-store.ts';
import type { LiveSet } from '../../live/live-set.ts';
import type { LiveSets } from '../../live/live-sets.ts';
import { memberInfoOf } from '../member-info.ts';
import { canControlSet } from '../../playlist/permissions.ts';
import { GUILD_ONLY } from '../queue/queue-handler.ts';
import { replyEphemeral } from '../../discord/reply-result.ts';
import { answerInTime } from '../../discord/timely-answer.ts';
import type { Outcome } from '../../discord/timely-answer.ts';
import { displayTitle } from '../../discord/track-title.ts';
import { formatClock } from '../../../util/format-clock.ts';

export const NO_SET = 'No set is playing. Start one with /djset start.';
export const NOTHING_TO_SKIP_TO =
  'There is nothing to mix into yet: the playlist is empty and no other library track is ready. Add songs with /queue add.';
const ALREADY_PAUSED = 'The set is already paused. /djset resume carries on.';
const NOT_PAUSED = 'The set is not paused.';

export function needsControl(action: string): string {
  return `${action} the set needs the DJ role, Manage Server, or being the one who started it.`;
}

export function onlyListenersVote(channelId: string): string {
  return `Only members listening in <#${channelId}> may vote to skip.`;
}

export interface ControlDeps {
  store: GuildStore;
  sets: LiveSets;
  feedback: FeedbackStore;
}

export type SetAction = 'pause' | 'resume' | 'stop' | 'skip';

type Result = Outcome;

const VERB: Record<Exclude<SetAction, 'skip'>, string> = { pause: 'Pausing', resume: 'Resuming', stop: 'Stopping' };

/**
 * `/djset pause|resume|stop|skip` and the panel's buttons: the same checks and the same effect. Refusals go to the
 * member alone; pause and resume (a fade, a pick) are acknowledged first and the reply edited after; anything else not
 * answered within a second (a slow store) is acknowledged then (TimelyAnswer).
 * `publicly`: a command's success is shown to the channel; a button's goes to the member alone (the panel shows it).
 */
export async function controlSet(
  deps: ControlDeps,
  interaction: RepliableInteraction,
  action: SetAction,
  publicly: boolean,
): Promise<void> {
  const guildId = interaction.guildId;
  if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
  const set = deps.sets.get(guildId);
  if (!set) return replyEphemeral(interaction, NO_SET);
  const member = memberInfoOf(interaction, set.starterId);
  await answerInTime(interaction, !publicly, async (answer) => {
    const mayControl = canControlSet(member, await deps.store.get(guildId));
    if (action === 'skip') return skip(deps, set, interaction.user.id, mayControl);
    if (!mayControl) return { ok: false, message: needsControl(VERB[action]) };
    if (action === 'stop') return stop(set);
    const refusal =
      action === 'pause'
        ? pauseRefusal(set)
        : set.status.status === 'paused' && set.status.by === 'member'
          ? undefined
          : NOT_PAUSED;
    if (refusal) return { ok: false, message: refusal };
    // A fade, or a pick: acknowledged first.
    await answer.defer();
    return action === 'pause' ? pause(deps, set) : resume(set);
  });
}

/** `/djset pause|resume|stop|skip`: the success is shown to the channel. */
export function setControl(deps: ControlDeps, action: SetAction): RouteHandler<never> {
  return (interaction) => controlSet(deps, interaction, action, true);
}

/** The fade and the panel's edit start once the answer is on its way. */
function stop(set: LiveSet): Result {
  return {
    ok: true,
    message: 'Stopping: the set fades out on the next downbeat. The playlist stays as it is.',
    afterSend: () => void set.stop('stopped'),
  };
}

function pauseRefusal(set: LiveSet): string | undefined {
  if (set.status.status === 'paused' && set.status.by === 'member') return ALREADY_PAUSED;
  return set.status.status === 'playing' || set.status.status === 'paused'
    ? undefined
    : 'The set is not playing yet, so it cannot be paused.';
}

async function pause(deps: ControlDeps, set: LiveSet): Promise<Result> {
  if (!(await set.pause()))
    return { ok: false, message: pauseRefusal(set) ?? 'The set is not playing yet, so it cannot be paused.' };
  const minutes = (await deps.store.get(set.guildId)).settings.pauseMinutes;
  const leave =
    minutes !== undefined
      ? ` If nobody resumes it within ${minutes} minute${minutes === 1 ? '' : 's'}, Mini-DJ leaves.`
      : '';
  return {
    ok: true,
    message: `Paused: the set faded out on a downbeat and holds its place. /djset resume carries on from there.${leave}`,
  };
}

async function resume(set: LiveSet): Promise<Result> {
  const resumed = await set.resume();
  if (!resumed)
    return {
      ok: false,
      message: set.status.status === 'ended' ? 'There is nothing left to resume: the set is over.' : NOT_PAUSED,
    };
  return {
    ok: true,
    message: `Resuming **${displayTitle(resumed.track.title)}** at ${formatClock(resumed.fromSec ?? 0)}, fading in on the downbeat.`,
  };
}

/**
 * The DJ role, Manage Server and the starter skip at once; any other listener votes, and more than half of the
 * listeners in the channel skip.
 */
async function skip(deps: ControlDeps, set: LiveSet, userId: string, mayControl: boolean): Promise<Result> {
  if (!set.canSkip) return { ok: false, message: NOTHING_TO_SKIP_TO };
  if (mayControl) return skipNow(deps, set, userId);
  const listenerIds = set.listenerIds();
  if (!listenerIds.includes(userId)) return { ok: false, message: onlyListenersVote(set.voiceChannelId) };
  const tally = set.skipVotes.vote(userId, listenerIds);
  if (tally.passed) return skipNow(deps, set, userId, ` (${tally.votes} of ${listenerIds.length} listeners voted)`);
  const title = displayTitle(set.nowPlaying()?.track.title ?? 'this song');
  return {
    ok: true,
    message: `<@${userId}> votes to skip **${title}**: ${tally.votes} of ${tally.needed} votes needed.`,
    afterSend: () => set.panelChanged(),
  };
}

/** Skips at the next phrase; the skip during or just after a transition judges it (a labelled pair for training). */
async function skipNow(deps: ControlDeps, set: LiveSet, userId: string, why = ''): Promise<Result> {
  const judged = set.recentTransition();
  if (judged) {
    await deps.feedback.add({
      id: `skip:${judged.id}:${userId}`,
      guildId: set.guildId,
      fromHash: judged.fromHash,
      toHash: judged.toHash,
      liked: false,
      source: 'skip',
      userId,
      at: new Date().toISOString(),
    });
  }
  const title = displayTitle(set.nowPlaying()?.track.title ?? 'this song');
  const next = set.upcoming();
  set.skip();
  return {
    ok: true,
    message: next
      ? `Skipping **${title}**${why}: mixing into **${displayTitle(next.to.title)}** at the next phrase.`
      : `Skipping **${title}**${why}: it mixes out at its next phrase once this transition is over.`,
  };
}
