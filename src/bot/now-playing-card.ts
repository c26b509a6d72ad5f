import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { UpcomingTransition } from '../audio/set/set-engine.ts';
import { formatClock } from '../viz/set-picture.ts';
import type { LiveTrack } from './next-track.ts';
import { describeTransition, VOTE_BUTTON_PREFIX } from './now-mixing-message.ts';

/** What the now-playing message shows of a set. */
export interface CardInput {
  now?: { track: LiveTrack; positionSec: number };
  next?: UpcomingTransition & { inSec: number };
  /** The latest transition heard: its 👍/👎 buttons. */
  transitionId?: string;
  voiceChannelId: string;
  listeners: number;
  status: 'connecting' | 'playing' | 'paused-empty' | 'paused' | 'ended';
}

const STATUS_LINE: Record<CardInput['status'], string> = {
  connecting: 'joining…',
  playing: 'live',
  'paused-empty': 'paused until someone joins',
  paused: 'paused (/djset resume carries on)',
  ended: 'the set has ended',
};

/** The now-playing message: song, position, the next transition and its style, with 👍/👎 for the latest one. */
export function nowPlayingCard(input: CardInput): { content: string; components: unknown[] } {
  const lines: string[] = [];
  const { now, next } = input;
  if (input.status === 'ended') {
    lines.push('**The set has ended.** /djset start carries on.');
  } else if (now) {
    const who = now.track.entry ? `queued by <@${now.track.entry.requesterId}>` : 'from the server library';
    lines.push(`**Now playing:** ${now.track.title} (${Math.round(now.track.analysis.bpm)} BPM, ${now.track.analysis.camelot}) — ${formatClock(now.positionSec)} / ${formatClock(now.track.analysis.durationSec)}, ${who}`);
    if (next) {
      const how = describeTransition({ style: next.plan.style, overlapBars: next.plan.overlapBars, stretchPct: next.plan.stretchPct, from: { bpm: next.from.analysis.bpm, camelot: next.from.analysis.camelot }, to: { bpm: next.to.analysis.bpm, camelot: next.to.analysis.camelot } });
      lines.push(`**Next:** ${next.to.title} in ${formatClock(next.inSec)} — ${how}`);
    } else {
      lines.push('**Next:** nothing planned yet (add songs with /queue add)');
    }
  }
  lines.push(`<#${input.voiceChannelId}> · ${input.listeners} listening · ${STATUS_LINE[input.status]}`);
  const components: unknown[] = [];
  if (input.transitionId && input.status !== 'ended') {
    components.push(new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId(`${VOTE_BUTTON_PREFIX}up:${input.transitionId}`).setEmoji('👍').setLabel('Good mix').setStyle(ButtonStyle.Success),
      new ButtonBuilder().setCustomId(`${VOTE_BUTTON_PREFIX}down:${input.transitionId}`).setEmoji('👎').setLabel('Bad mix').setStyle(ButtonStyle.Danger),
    ).toJSON());
  }
  return { content: lines.join('\n').slice(0, 2000), components };
}
