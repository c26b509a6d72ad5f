import type { BarCheck } from './bar-check.ts';
import { summarizePhase } from './deck-phase.ts';
import { CHECK_MAX_MS, CHECK_MEDIAN_MS, minCheckBars, passes, passingOverlapBars } from './beat-check.ts';
import type { DeckCheck } from './beat-check.ts';
import { planTransition } from './transition-plan.ts';
import type { PlanLimits, PlannedTrack, TransitionPlan, TransitionStyle } from './transition-plan.ts';
import type { RenderedTransition, TransitionJob } from './render-job.ts';

/** What the beat check found, for the report, `/djset status` and the "Now mixing" message. */
export interface TransitionCheckReport {
  /**
   * `passed`: played as planned; `nudged`: B's kicks sat a steady offset from A's, so B was moved by it and the same
   * transition rendered and checked again; `replanned`: the decks were apart, so it was re-planned and rendered again;
   * `unchecked`: too few bars carried clear kicks on both decks to vouch either way (fewer than `minCheckBars`),
   * either deck had too few kicks for the pooled reading, and a deck could not be read against its own track either,
   * so the transition plays as planned on the ears' grids.
   */
  verdict: 'passed' | 'nudged' | 'replanned' | 'unchecked';
  /** The overlap as measured (the first plan's, when re-planned): bars measured, the beats folded in them. */
  barsCompared: number;
  beatsCompared: number;
  medianAbsMs: number;
  maxAbsMs: number;
  /** The signed median: B's kicks against A's (ms; positive: B late). */
  offsetMs: number;
  /** What was planned before the check, when re-planned. */
  replannedFrom?: { style: TransitionStyle; overlapBars: number };
  /** When nudged: how far B was moved (ms; positive: B's grid later in its track, its kicks earlier in the mix). */
  nudgedMs?: number;
  /** When a re-planned shorter blend (or a nudged one) was checked again: its figures. */
  recheck?: { barsCompared: number; medianAbsMs: number; maxAbsMs: number };
  /**
   * The bar check, after the beat check: each deck's bar phase as heard in the overlap (`phase`: its downbeats' place in
   * A's bars, 0 on A's exit downbeat's; `confidence` 0..1), and where B's downbeats landed against A's (`offsetBeats`,
   * 0: on them; absent when B's bars were not heard clearly enough to say). `verdict`: `aligned`, `unread`, or `apart`
   * (the transition was then re-planned).
   */
  bars?: { verdict: 'aligned' | 'unread' | 'apart'; offsetBeats?: number; a?: BarCheck['a']; b?: BarCheck['b'] };
  /** One line: "checked: bars within 0.4 ms (median …)", "re-planned as an echo-out: the decks were 31 ms apart". */
  summary: string;
}

export interface CheckedRender {
  rendered: RenderedTransition;
  /** The plan as played (the re-plan, when the check asked for one). */
  plan: TransitionPlan;
  check?: TransitionCheckReport;
}

/** The fewest bars a nudge is read from when the check has too few to re-plan on: they must agree too. */
const MIN_NUDGE_BARS = 2;

const ms = (x: number): string => `${x < 10 ? x.toFixed(1) : x.toFixed(0)} ms`;

function figures(c: DeckCheck) {
  return {
    barsCompared: c.barsCompared,
    beatsCompared: c.beatsCompared,
    medianAbsMs: Number(c.medianAbsMs.toFixed(2)),
    maxAbsMs: Number(c.maxAbsMs.toFixed(2)),
    offsetMs: Number(c.offsetMs.toFixed(2)),
  };
}

function passedSummary(c: DeckCheck): string {
  if (c.reading === 'placement')
    return `checked: each deck read against its own track puts B's beats ${ms(c.maxAbsMs)} from A's (too few beats with kicks on both decks to read them against each other)`;
  if (c.reading === 'pooled')
    return `checked: the decks' kicks ${ms(c.maxAbsMs)} apart (over the overlap, ${c.beatsCompared}+ kicks each)`;
  return c.barsCompared === 0
    ? 'checked: no bar where both decks play kicks, nothing to flam'
    : `checked: bars within ${ms(c.maxAbsMs)} (median ${ms(c.medianAbsMs)} over ${c.barsCompared} bars)`;
}

/** How far apart the decks were, in words: a steady offset, or the worst beats. */
function apart(c: DeckCheck): string {
  return Math.abs(c.offsetMs) > CHECK_MEDIAN_MS
    ? `the decks were ${ms(Math.abs(c.offsetMs))} apart`
    : `the decks' beats strayed up to ${ms(c.maxAbsMs)} apart`;
}

/** The most B is moved by the check: a grid further off than this is not a kick's shape, the grid is wrong. */
const NUDGE_MAX_MS = 25;

/** B's analysis with its grid (beats, bars, phrases, cues) moved by `sec`. */
function shifted(t: PlannedTrack, sec: number): PlannedTrack {
  const x = t.analysis;
  const move = (s: number) => s + sec;
  return {
    ...t,
    analysis: {
      ...x,
      beats: x.beats.map(move),
      downbeats: x.downbeats.map(move),
      phrases: x.phrases.map(move),
      cues: { ...x.cues, mixIn: move(x.cues.mixIn), mixOut: move(x.cues.mixOut) },
    },
  };
}

/** What a re-plan keeps of the first plan's style: where the basslines swap (whole songs: on B's entry). */
const kept = (plan: TransitionPlan): PlanLimits => (plan.bassOnEntry ? { bassOnEntry: true } : {});

/** Where A leaves is fixed by the first plan (a skip or a late pick may have moved it from A's cue). */
const leavingAt = (a: PlannedTrack, exitSec: number): PlannedTrack => ({
  ...a,
  analysis: { ...a.analysis, cues: { ...a.analysis.cues, mixOut: exitSec } },
});

/**
 * Renders a transition and, when it is beat-matched, checks it on its own decks before it plays: if the beats are
 * apart (median over 5 ms or any bar over 20 ms) it is re-planned and rendered again — as the longest phrase-length
 * blend whose beats passed (the decks drifted apart later on), else as an echo-out. Then the bars (`barChecked`).
 */
export async function renderChecked(
  render: (job: TransitionJob) => Promise<RenderedTransition>,
  job: TransitionJob,
  a: PlannedTrack,
  b: PlannedTrack,
): Promise<CheckedRender> {
  return barChecked(render, job, a, b, await renderBeatChecked(render, job, a, b));
}

const ordinal = (beat: number): string => ['one', 'two', 'three', 'four'][beat] ?? String(beat + 1);

/**
 * The bar check of the transition the beat check let play: B's downbeats must land on A's. Where B's bars were heard
 * starting on another of A's beats (the ears misplaced a bar line in either track: a phrase-aligned blend would lay
 * B's one on A's three), it is re-planned as an echo-out, which lays no bar of B over A's.
 */
async function barChecked(
  render: (job: TransitionJob) => Promise<RenderedTransition>,
  job: TransitionJob,
  a: PlannedTrack,
  b: PlannedTrack,
  done: CheckedRender,
): Promise<CheckedRender> {
  const heard = done.rendered.barCheck;
  if (!heard || !done.check || (done.plan.style !== 'blend' && done.plan.style !== 'filter-fade')) return done;
  const verdict = heard.passed ? (heard.offsetBeats === 0 ? 'aligned' : 'unread') : 'apart';
  const bars = {
    verdict,
    ...(heard.offsetBeats !== undefined ? { offsetBeats: heard.offsetBeats } : {}),
    ...(heard.a ? { a: heard.a } : {}),
    ...(heard.b ? { b: heard.b } : {}),
  } as const;
  if (heard.passed) return { ...done, check: { ...done.check, bars } };
  const on = `B's downbeats landed on A's beat ${ordinal(heard.offsetBeats!)}`;
  const reason = `the bar check heard the ${done.plan.overlapBars}-bar ${done.plan.style}'s bars apart (${on}), so A echoes out and B starts on the downbeat`;
  const plan = planTransition(leavingAt(a, done.plan.exitSec), b, { echoOutBecause: reason });
  const rendered = await render({ ...job, plan });
  const replannedFrom = done.check.replannedFrom ?? { style: done.plan.style, overlapBars: done.plan.overlapBars };
  return {
    rendered,
    plan,
    check: { ...done.check, verdict: 'replanned', replannedFrom, bars, summary: `re-planned as an echo-out: ${on}` },
  };
}

type Render = (job: TransitionJob) => Promise<RenderedTransition>;

function recheckOf(c: DeckCheck): NonNullable<TransitionCheckReport['recheck']> {
  const { barsCompared, medianAbsMs, maxAbsMs } = figures(c);
  return { barsCompared, medianAbsMs, maxAbsMs };
}

async function renderBeatChecked(
  render: Render,
  job: TransitionJob,
  a: PlannedTrack,
  b: PlannedTrack,
): Promise<CheckedRender> {
  const withBeats: TransitionJob = { ...job, checkBeats: { from: a.analysis.beats, to: b.analysis.beats } };
  const first = await render(withBeats);
  const c = first.check;
  if (!c) return { rendered: first, plan: job.plan };
  if (c.passed)
    return { rendered: first, plan: job.plan, check: { verdict: 'passed', ...figures(c), summary: passedSummary(c) } };
  const from = { style: job.plan.style, overlapBars: job.plan.overlapBars };
  const why = apart(c);
  const enough = c.reading !== 'none';
  // A steady offset (every bar within the limits of it, over at least 4 bars, or 2 when the check has too few to
  // re-plan on, or the pooled or placement reading): a grid fitted a few ms off its kicks. B is moved by it and checked again.
  const aboutOffset = summarizePhase(c.errors.map((e) => ({ ...e, errorMs: e.errorMs - c.offsetMs })));
  const steady =
    (c.reading === 'pooled' || c.reading === 'placement' || c.barsCompared >= (enough ? 4 : MIN_NUDGE_BARS)) &&
    passes(aboutOffset);
  const nudged =
    steady && Math.abs(c.offsetMs) <= NUDGE_MAX_MS ? await nudgedOntoKicks(render, job, a, b, c) : undefined;
  if (nudged) return nudged;
  if (!enough) {
    const summary = `too few kicks on both decks to check (${c.barsCompared} ${c.barsCompared === 1 ? 'bar' : 'bars'}, ${minCheckBars(job.plan.overlapBars)} needed): played as planned`;
    return { rendered: first, plan: job.plan, check: { verdict: 'unchecked', ...figures(c), summary } };
  }
  const shortened = job.plan.style === 'blend' ? await shortenedBlend(render, withBeats, a, b, c) : undefined;
  if (shortened) return shortened;
  const reason = `the beat check measured the ${job.plan.overlapBars}-bar ${job.plan.style} on its rendered decks and ${why} (limits ${CHECK_MEDIAN_MS} ms median, ${CHECK_MAX_MS} ms any bar), so A echoes out and B starts on the downbeat`;
  const plan = planTransition(leavingAt(a, job.plan.exitSec), b, { echoOutBecause: reason });
  const rendered = await render({ ...job, plan });
  return {
    rendered,
    plan,
    check: { verdict: 'replanned', ...figures(c), replannedFrom: from, summary: `re-planned as an echo-out: ${why}` },
  };
}

/** B moved by the check's steady offset, rendered and checked again; undefined if the plan changes or it still fails. */
async function nudgedOntoKicks(
  render: Render,
  job: TransitionJob,
  a: PlannedTrack,
  b: PlannedTrack,
  c: DeckCheck,
): Promise<CheckedRender | undefined> {
  const nudged = shifted(b, c.offsetMs / 1000);
  // The same overlap, however long the runways: it was planned to a length (the planner's, or a server's).
  const plan = planTransition(leavingAt(a, job.plan.exitSec), nudged, {
    ...kept(job.plan),
    maxOverlapBars: job.plan.overlapBars,
  });
  if (plan.style !== job.plan.style || plan.exitSec !== job.plan.exitSec || plan.overlapBars !== job.plan.overlapBars)
    return undefined;
  const again = await render({ ...job, plan, checkBeats: { from: a.analysis.beats, to: nudged.analysis.beats } });
  if (!again.check?.passed) return undefined;
  plan.explanation = `${plan.explanation}; B moved ${ms(Math.abs(c.offsetMs))} ${c.offsetMs > 0 ? 'earlier' : 'later'} by the beat check (its kicks sat ${ms(Math.abs(c.offsetMs))} ${c.offsetMs > 0 ? 'behind' : 'ahead of'} A's)`;
  return {
    rendered: again,
    plan,
    check: {
      verdict: 'nudged',
      ...figures(c),
      nudgedMs: Number(c.offsetMs.toFixed(2)),
      recheck: recheckOf(again.check),
      summary: `B moved ${ms(Math.abs(c.offsetMs))} onto A's kicks: ${passedSummary(again.check)}`,
    },
  };
}

/** The blend shortened to the bars the decks stay together for, rendered again; undefined if none is. */
async function shortenedBlend(
  render: Render,
  withBeats: TransitionJob,
  a: PlannedTrack,
  b: PlannedTrack,
  c: DeckCheck,
): Promise<CheckedRender | undefined> {
  const was = withBeats.plan;
  const shorter = passingOverlapBars(c, was, 60 / a.analysis.bpm);
  if (shorter === undefined) return undefined;
  const plan = planTransition(leavingAt(a, was.exitSec), b, { ...kept(was), maxOverlapBars: shorter });
  if (plan.style !== was.style || plan.exitSec !== was.exitSec) return undefined;
  const drift = `the decks drifted ${ms(c.maxAbsMs)} apart by bar ${was.overlapBars}`;
  plan.explanation = `${plan.explanation}; shortened from ${was.overlapBars} bars by the beat check (${drift}, within ${CHECK_MAX_MS} ms up to bar ${shorter})`;
  const again = await render({ ...withBeats, plan });
  if (again.check?.passed === false) return undefined;
  return {
    rendered: again,
    plan,
    check: {
      verdict: 'replanned',
      ...figures(c),
      replannedFrom: { style: was.style, overlapBars: was.overlapBars },
      recheck: again.check ? recheckOf(again.check) : undefined,
      summary: `re-planned as ${shorter === 8 ? 'an' : 'a'} ${shorter}-bar blend: ${drift}`,
    },
  };
}
