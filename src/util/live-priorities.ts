import { setting } from './config.ts';

/**
 * CPU priorities of a bot's own work, as Linux niceness above the audio cycle's (0): the 20 ms cycle and the Opus
 * encoders first, then transitions (rendered 20-40 s ahead of when they play), then analyses (a reply a few seconds
 * later). On the 2-core machine, renders at 10 took the largest clean `bench:voice` N from 21 to 27 and 28 in two runs
 * (the cycle at most 35 ms late at N = 28, 88 % busy; past it every packet still sent, transitions cut instead). Analyses
 * below the renders: a render niced under an analysis at 0 gets a tenth of a core and falls back to a cut.
 */
export const LIVE_RENDER_NICE = 10;
export const LIVE_ANALYSIS_NICE = 15;

/** `MINIDJ_RENDER_NICE` / `MINIDJ_ANALYSIS_NICE` when set, else `fallback`. */
export function niceFromEnv(
  name: 'MINIDJ_RENDER_NICE' | 'MINIDJ_ANALYSIS_NICE',
  fallback: number,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const n = setting(name, env);
  return n === undefined ? fallback : Math.max(0, Math.min(19, Math.round(n)));
}

/** The niceness of a bot's renders: `MINIDJ_RENDER_NICE`, else LIVE_RENDER_NICE. */
export const liveRenderNice = (env: NodeJS.ProcessEnv = process.env): number =>
  niceFromEnv('MINIDJ_RENDER_NICE', LIVE_RENDER_NICE, env);
/** The niceness of a bot's analyses (and `npm run worker`'s): `MINIDJ_ANALYSIS_NICE`, else LIVE_ANALYSIS_NICE. */
export const liveAnalysisNice = (env: NodeJS.ProcessEnv = process.env): number =>
  niceFromEnv('MINIDJ_ANALYSIS_NICE', LIVE_ANALYSIS_NICE, env);
