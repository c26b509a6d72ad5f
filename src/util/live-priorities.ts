/**
 * CPU priorities of a bot's own work, as Linux niceness above the audio cycle's (0): the 20 ms cycle and the Opus
 * encoders first, then transitions (rendered 20-40 s ahead of when they play), then analyses (a reply a few seconds
 * later). On the 2-core machine, renders at 10 took the largest clean `bench:voice` N from 21 to 28 (the cycle at most
 * 35 ms late at N = 28, 88 % busy; at N = 30, 99.5 % busy, every packet still sent, 2 of 30 transitions cut). Analyses
 * below the renders: a render niced under an analysis at 0 gets a tenth of a core and falls back to a cut.
 */
export const LIVE_RENDER_NICE = 10;
export const LIVE_ANALYSIS_NICE = 15;

/** `MINIDJ_RENDER_NICE` / `MINIDJ_ANALYSIS_NICE` when set, else the bot's default. */
export function niceFromEnv(name: 'MINIDJ_RENDER_NICE' | 'MINIDJ_ANALYSIS_NICE', fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const v = env[name];
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(n) ? Math.max(0, Math.min(19, Math.round(n))) : fallback;
}
