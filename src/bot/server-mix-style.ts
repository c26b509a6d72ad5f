import type { MixStyle } from '../audio/transition/mix-style.ts';
import type { GuildSettings } from '../db/guild-store.ts';

/** A server's mix style from its settings (DJ cuts, the planner's length, when it chose nothing). */
export function mixStyleOf(settings: Pick<GuildSettings, 'songs' | 'transitionBars'>): MixStyle {
  return { songs: settings.songs ?? 'dj', ...(settings.transitionBars ? { bars: settings.transitionBars } : {}) };
}

export function describeMixStyle(style: MixStyle): string[] {
  return [
    `Songs: ${style.songs === 'whole' ? 'whole — each from its first downbeat to its end, mixed over its intro and outro' : 'DJ cuts — each mixed from its intro cue to its outro cue'}`,
    `Transitions: ${style.bars ? `${style.bars} bars where both tracks have room` : "the planner's choice for each pair (4 to 32 bars)"}`,
  ];
}
