import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { TransitionReport } from '../../audio/set/set-report.ts';
import { displayTitle } from '../discord/track-title.ts';

export const VOTE_BUTTON_PREFIX = 'vote:';

const STYLE_NAMES: Record<TransitionReport['style'], string> = {
  blend: 'EQ blend',
  'filter-fade': 'filter fade',
  'echo-out': 'echo-out',
  cut: 'cut on the downbeat',
};

/** One line on how a transition is made: style, length, stretch and keys. */
type Deck = { bpm: number; camelot: string };

export function describeTransition(
  report: Pick<TransitionReport, 'style' | 'overlapBars' | 'stretchPct'> & {
    pitchCents?: number;
    from: Deck;
    to: Deck;
  },
): string {
  const parts = [
    report.overlapBars > 0 ? `${report.overlapBars}-bar ${STYLE_NAMES[report.style]}` : STYLE_NAMES[report.style],
  ];
  const pct = `${report.stretchPct > 0 ? '+' : ''}${report.stretchPct.toFixed(1)} %`;
  // Vinyl: sped up or slowed down as a record is, the pitch moving with it (a change within 1 %, under 18 cents).
  if (report.pitchCents)
    parts.push(`pitched ${pct} (vinyl, ${report.pitchCents > 0 ? '+' : ''}${Math.round(report.pitchCents)} cents)`);
  else if (report.stretchPct !== 0) parts.push(`stretched ${pct}`);
  parts.push(
    `${report.from.camelot} → ${report.to.camelot}`,
    `${Math.round(report.from.bpm)} → ${Math.round(report.to.bpm)} BPM`,
  );
  return parts.join(', ');
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** "**A** → **B** (16-bar EQ blend, …). Checked: …." — the beat check's figure, or what it re-planned and why. */
export function mixSummary(
  report: Pick<TransitionReport, 'from' | 'to' | 'style' | 'overlapBars' | 'stretchPct' | 'check'>,
): string {
  const checked = report.check ? ` ${report.check.summary[0]!.toUpperCase()}${report.check.summary.slice(1)}.` : '';
  return `**${displayTitle(report.from.title)}** → **${displayTitle(report.to.title)}** (${describeTransition(report)}).${checked}`;
}

/** 👍/👎 for one transition: the votes become labelled pairs for `minidj train`. */
export function voteRow(transitionId: string) {
  return new ActionRowBuilder<ButtonBuilder>()
    .addComponents(
      new ButtonBuilder()
        .setCustomId(`${VOTE_BUTTON_PREFIX}up:${transitionId}`)
        .setEmoji('👍')
        .setLabel('Good mix')
        .setStyle(ButtonStyle.Success),
      new ButtonBuilder()
        .setCustomId(`${VOTE_BUTTON_PREFIX}down:${transitionId}`)
        .setEmoji('👎')
        .setLabel('Bad mix')
        .setStyle(ButtonStyle.Danger),
    )
    .toJSON();
}

/** "Now mixing A → B" with 👍/👎: a line per transition, when the server's setting asks for one. */
export function nowMixingMessage(transitionId: string, report: TransitionReport) {
  return {
    content: clip(`Now mixing ${mixSummary(report)} How did it sound?`, 2000),
    components: [voteRow(transitionId)],
  };
}
