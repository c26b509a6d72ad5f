import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { TransitionReport } from '../audio/set/set-report.ts';
import { displayTitle } from './track-title.ts';

export const VOTE_BUTTON_PREFIX = 'vote:';

const STYLE_NAMES: Record<TransitionReport['style'], string> = { blend: 'EQ blend', 'filter-fade': 'filter fade', 'echo-out': 'echo-out', cut: 'cut on the downbeat' };

/** One line on how a transition is made: style, length, stretch and keys. */
type Deck = { bpm: number; camelot: string };

export function describeTransition(report: Pick<TransitionReport, 'style' | 'overlapBars' | 'stretchPct'> & { from: Deck; to: Deck }): string {
  const parts = [report.overlapBars > 0 ? `${report.overlapBars}-bar ${STYLE_NAMES[report.style]}` : STYLE_NAMES[report.style]];
  if (report.stretchPct !== 0) parts.push(`stretched ${report.stretchPct > 0 ? '+' : ''}${report.stretchPct.toFixed(1)} %`);
  parts.push(`${report.from.camelot} → ${report.to.camelot}`, `${Math.round(report.from.bpm)} → ${Math.round(report.to.bpm)} BPM`);
  return parts.join(', ');
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** "Now mixing A → B" with 👍/👎: the votes become labelled pairs for `minidj train`. */
export function nowMixingMessage(transitionId: string, report: TransitionReport) {
  // The beat check's figure: "checked: beats within 0.5 ms", or what it re-planned and why.
  const checked = report.check ? ` ${report.check.summary[0]!.toUpperCase()}${report.check.summary.slice(1)}.` : '';
  const content = clip(`Now mixing **${displayTitle(report.from.title)}** → **${displayTitle(report.to.title)}** (${describeTransition(report)}).${checked} How did it sound?`, 2000);
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(`${VOTE_BUTTON_PREFIX}up:${transitionId}`).setEmoji('👍').setLabel('Good mix').setStyle(ButtonStyle.Success),
    new ButtonBuilder().setCustomId(`${VOTE_BUTTON_PREFIX}down:${transitionId}`).setEmoji('👎').setLabel('Bad mix').setStyle(ButtonStyle.Danger),
  );
  return { content, components: [row.toJSON()] };
}
