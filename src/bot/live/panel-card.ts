import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { TransitionReport } from '../../audio/set/set-report.ts';
import type { UpcomingTransition } from '../../audio/set/set-engine.ts';
import type { LiveTrack } from '../playlist/next-track.ts';
import { describeTransition, mixSummary, voteRow } from './now-mixing-message.ts';
import { displayTitle } from '../discord/track-title.ts';
import { planPitchCents } from '../../audio/transition/tempo-schedule.ts';
import { formatClock } from '../../util/format-clock.ts';

export const PANEL_BUTTON_PREFIX = 'panel:';
export const PANEL_ACTIONS = ['pause', 'resume', 'skip', 'stop', 'queue'] as const;
export type PanelAction = (typeof PANEL_ACTIONS)[number];

/** What the set's panel shows. */
export interface PanelInput {
  status: 'connecting' | 'playing' | 'paused-empty' | 'paused' | 'ended' | 'restarting';
  now?: { track: LiveTrack; positionSec: number };
  next?: UpcomingTransition<LiveTrack> & { inSec: number };
  /** The transition into this song is being played out now (the song is "now playing" from its start). */
  mixingInto?: LiveTrack;
  /** The set is picking what plays next (a store read, scoring). */
  picking?: boolean;
  /** The latest transition listeners heard: its summary and 👍/👎. */
  lastMix?: { id: string; report: TransitionReport };
  /** Listeners' votes to skip the song playing, while there are any. */
  skipVotes?: { votes: number; needed: number };
  voiceChannelId: string;
  listeners: number;
}

const STATUS_LINE: Record<PanelInput['status'], string> = {
  connecting: 'joining…',
  playing: 'live',
  'paused-empty': 'paused until someone joins',
  paused: 'paused (Resume or /djset resume carries on)',
  ended: 'the set has ended',
  restarting: 'Mini-DJ is restarting: the set resumes here in a moment',
};

function nowLine(now: NonNullable<PanelInput['now']>): string {
  const { track, positionSec } = now;
  const artist = track.artist ? ` — ${displayTitle(track.artist)}` : '';
  const who = track.entry ? `queued by <@${track.entry.requesterId}>` : 'from the server library';
  return `**Now playing:** ${displayTitle(track.title)}${artist} (${Math.round(track.analysis.bpm)} BPM, ${track.analysis.camelot}) — ${formatClock(positionSec)} / ${formatClock(track.analysis.durationSec)}, ${who}`;
}

function nextLine({ next, mixingInto, picking, status }: PanelInput): string {
  if (status === 'paused') return '**Next:** planned again when the set resumes';
  // The song playing came in with this mix: what follows it is picked once the mix is over.
  if (mixingInto) return '**Next:** picked once this mix is over';
  if (!next)
    return picking
      ? '**Next:** picking the next song…'
      : '**Next:** nothing to mix into yet (add songs with /queue add)';
  const how = describeTransition({
    style: next.plan.style,
    overlapBars: next.plan.overlapBars,
    stretchPct: next.plan.stretchPct,
    pitchCents: planPitchCents(next.plan),
    from: { bpm: next.from.analysis.bpm, camelot: next.from.analysis.camelot },
    to: { bpm: next.to.analysis.bpm, camelot: next.to.analysis.camelot },
  });
  return `**Next:** ${displayTitle(next.to.title)} in ${formatClock(next.inSec)} — ${how}`;
}

function controls(status: PanelInput['status']) {
  const paused = status === 'paused';
  return new ActionRowBuilder<ButtonBuilder>()
    .addComponents(
      paused
        ? new ButtonBuilder()
            .setCustomId(`${PANEL_BUTTON_PREFIX}resume`)
            .setEmoji('▶️')
            .setLabel('Resume')
            .setStyle(ButtonStyle.Success)
        : new ButtonBuilder()
            .setCustomId(`${PANEL_BUTTON_PREFIX}pause`)
            .setEmoji('⏸️')
            .setLabel('Pause')
            .setStyle(ButtonStyle.Secondary),
      new ButtonBuilder()
        .setCustomId(`${PANEL_BUTTON_PREFIX}skip`)
        .setEmoji('⏭️')
        .setLabel('Skip')
        .setStyle(ButtonStyle.Primary)
        .setDisabled(paused),
      new ButtonBuilder()
        .setCustomId(`${PANEL_BUTTON_PREFIX}stop`)
        .setEmoji('⏹️')
        .setLabel('Stop')
        .setStyle(ButtonStyle.Danger),
      new ButtonBuilder()
        .setCustomId(`${PANEL_BUTTON_PREFIX}queue`)
        .setEmoji('📜')
        .setLabel('Queue')
        .setStyle(ButtonStyle.Secondary),
    )
    .toJSON();
}

/**
 * The set's one live message: the song and artist, position, BPM and key, what comes next and how, the last mix with
 * 👍/👎, the listeners, and the set's controls. Once the set has ended (or the bot restarts) the buttons go.
 */
export function panelCard(input: PanelInput): { content: string; components: unknown[] } {
  const lines: string[] = [];
  const over = input.status === 'ended' || input.status === 'restarting';
  if (input.status === 'ended') lines.push('**The set has ended.** /djset start carries on.');
  else if (input.now) lines.push(nowLine(input.now), nextLine(input));
  if (input.lastMix && !over) lines.push(`**Last mix:** ${mixSummary(input.lastMix.report)}`);
  const votes = input.skipVotes && !over ? ` · skip votes ${input.skipVotes.votes} of ${input.skipVotes.needed}` : '';
  lines.push(`<#${input.voiceChannelId}> · ${input.listeners} listening · ${STATUS_LINE[input.status]}${votes}`);
  const components = over ? [] : [controls(input.status), ...(input.lastMix ? [voteRow(input.lastMix.id)] : [])];
  return { content: lines.join('\n').slice(0, 2000), components };
}
