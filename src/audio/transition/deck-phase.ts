import { lowBand } from '../analysis/fine-onsets.ts';
import { riseEnvelope } from '../dsp/onset-envelope.ts';
import { median } from '../dsp/stats.ts';
import { parabolicOffset } from '../dsp/peak-interpolation.ts';
import { MIX_RATE } from '../io/mix-format.ts';

/**
 * How far apart two decks play their beats, measured on the decks as rendered (each alone, EQ open): the renderer's
 * check before a beat-matched transition plays and `bench:mix` both use this.
 *
 * Per bar of the shared grid (A's beats, where B should play its own): on the bar's beats where both decks play a
 * kick (their low band, < 150 Hz, rises), each deck's broadband attack envelope is folded, and B's fold is slid
 * against A's; the lag that correlates them best is the bar's figure. The broadband attack (the kick's click) is what
 * the ears put each grid on and what a listener hears flam: the low band's body follows the click by a delay of its
 * kick's own (a few ms, different from kick to kick), so two correctly gridded tracks read 5–9 ms apart on the body. A single beat's strongest attack jumps between the kick,
 * a snare or a hat on dense released music (bay.ogg against itself read 13 ms median, 48 ms max beat by beat); the
 * fold of a bar's kicks, and their whole shape rather than one peak, does not (see bench/phase-measure.ts).
 */

const BLOCK = 32;
/** Each beat's profile: the low-band onset envelope this far either side of the beat. */
const PROFILE_SEC = 0.1;
/** The lags searched (B's fold against A's): a grid 40 ms off still reads as 40 ms. */
export const MAX_LAG_SEC = 0.04;
/** A's fold is compared over this much either side of the beat (its kick, wherever within ±MAX_LAG it is). */
const CORE_SEC = PROFILE_SEC - MAX_LAG_SEC;
/** Filter run-up before each window (the 150 Hz low-pass settles within 10 ms). */
const WARM_UP_SEC = 0.02;
/**
 * The low band's level is its energy through two 12 ms boxes (a 24 ms triangle: a bass note's ripple at twice its
 * frequency, 80 Hz and up, is down 26 dB or more), so the envelope follows notes and kicks, not the waveform's cycles.
 */
const LEVEL_SEC = 0.012;
/**
 * The broadband level's box (two of them: a 6 ms triangle), about the window the ears' attack envelope compares
 * (4 blocks of 64 samples): the click's rise, not the body's.
 */
const ATTACK_LEVEL_SEC = 0.003;
/** Beats per measurement: one bar. */
const GROUP_BEATS = 4;
/** A bar is measured when at least this many of its beats carry a kick on both decks. */
const MIN_KICKS = 2;
/** And when the two folds look alike at their best lag (normalised correlation): else the bar is skipped. */
const MIN_CONFIDENCE = 0.5;
/** And when no lag this far from the best matches nearly as well (RIVAL_RATIO of it): else it is ambiguous. */
const AMBIGUOUS_SEC = 0.008;
const RIVAL_RATIO = 0.85;
/** And when each deck's fold has one clear attack: its peak near the beat this many times its mean (see clarity). */
const MIN_CLARITY = 3;

export interface BeatKick {
  /** Strength of the low band's strongest onset within ±MAX_LAG of the beat (0 when none): is there a kick. */
  strength: number;
  /** The low-band onset envelope from PROFILE_SEC before the beat to PROFILE_SEC after, on blocks aligned to it. */
  profile?: Float32Array;
  /** The broadband attack envelope on the same blocks: what the lag is read on. */
  attack?: Float32Array;
}

const blocks = (sec: number, rate: number): number => Math.ceil((sec * rate) / BLOCK);

/** `channels` interleaved from `from` to `to` (frames), averaged to one. */
function monoOf(deck: Float32Array, channels: number, from: number, to: number): Float32Array {
  if (channels === 1) return deck.subarray(from, to);
  const out = new Float32Array(to - from);
  for (let f = from; f < to; f++) {
    let x = 0;
    for (let c = 0; c < channels; c++) x += deck[f * channels + c]!;
    out[f - from] = x / channels;
  }
  return out;
}

/**
 * Rise of the low band's log level every BLOCK samples, the level read through two `win`-sample boxes (block k's
 * triangle centred `win` samples after k · BLOCK): the low band's attack envelope. The first value is 0 (the read
 * before it is the first again).
 */
function levelRise(x: Float32Array, win: number): Float32Array {
  const cum = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) cum[i + 1] = cum[i]! + x[i]! * x[i]!;
  const first = Math.floor((x.length - win) / BLOCK) + 1;
  const e1 = new Float64Array(Math.max(0, first + 1));
  for (let k = 0; k < first; k++) e1[k + 1] = e1[k]! + (cum[k * BLOCK + win]! - cum[k * BLOCK]!) / win;
  const span = Math.max(1, Math.round(win / BLOCK));
  const level = (k: number): number => Math.log10(1e-10 + (e1[k + span]! - e1[k]!) / span);
  return riseEnvelope(first - span + 1, (k) => level(Math.max(0, k)));
}

/**
 * Each beat's low-band profile and kick strength (times in the deck's own seconds; `channels` interleaved at
 * `rate`), each from a window of its own, its blocks aligned to the beat's sample: two decks profiled at the same
 * beats are on one lattice. Only those windows are filtered, so a 32-bar overlap costs a few tens of ms.
 */
export function beatKicks(deck: Float32Array, rate: number, beats: number[], channels = 1): BeatKick[] {
  const length = Math.floor(deck.length / channels);
  const half = blocks(PROFILE_SEC, rate);
  const warm = blocks(WARM_UP_SEC, rate);
  const lag = blocks(MAX_LAG_SEC, rate);
  const win = Math.round(LEVEL_SEC * rate);
  const attackWin = Math.round(ATTACK_LEVEL_SEC * rate);
  return beats.map((t) => {
    const centre = Math.round(t * rate);
    // Block `warm + half + k`'s level window is centred k blocks after the beat's sample.
    const from = centre - (half + warm) * BLOCK - win;
    const to = from + (warm + 2 * half + 1) * BLOCK + 2 * win;
    if (from < 0 || to > length) return { strength: 0 };
    const mono = monoOf(deck, channels, from, to);
    const env = levelRise(lowBand(mono, rate), win);
    const profile = env.slice(warm, warm + 2 * half + 1);
    let strength = 0;
    for (let k = half - lag; k <= half + lag; k++) strength = Math.max(strength, profile[k]!);
    // The same lattice: block `warm + half + k`'s triangle centred k blocks after the beat (its window starts
    // `win - attackWin` samples later than the low band's).
    const broad = levelRise(mono.subarray(win - attackWin), attackWin);
    const attack = broad.slice(warm, warm + 2 * half + 1);
    return { strength, profile, attack };
  });
}

/** How strong a deck's kick usually is on its beats: the median over the beats given (a whole track, or an overlap). */
export function kickReference(kicks: BeatKick[]): number {
  return median(kicks.map((k) => k.strength));
}

export interface BeatPhase {
  /** The bar's first beat (A's), in seconds from the start of the decks. */
  atSec: number;
  /** Where B's kicks are against A's over the bar (ms; positive: B late). */
  errorMs: number;
  /** How alike the two folds are at that lag (normalised correlation, 0–1). */
  confidence?: number;
  /** The bar's beats that carried a kick on both decks (folded). */
  beats?: number;
}

export interface DeckPair {
  /** Both decks from the same instant (A's exit downbeat), `channels` interleaved at `rate`. */
  a: Float32Array;
  b: Float32Array;
  rate: number;
  channels?: number;
  /** Each deck's beats in that same time, up to where the overlap ends. */
  beatsA: number[];
  beatsB: number[];
  /**
   * Each deck's usual kick strength (a whole track's median); without it, the strongest quarter of the overlap's own
   * beats (an intro whose kick comes in late still has a reference).
   */
  kickRefA?: number;
  kickRefB?: number;
}

function overlapReference(kicks: BeatKick[]): number {
  const s = kicks.map((k) => k.strength).sort((x, y) => x - y);
  return s.length ? s[Math.floor(0.75 * (s.length - 1))]! : 0;
}

/**
 * A's beats in the overlap where B plays a beat too (within a quarter beat), each with its bar (counted from A's
 * first beat, the exit downbeat): the shared grid both decks are folded on.
 */
export function pairBeats(beatsA: number[], beatsB: number[]): { ta: number; tb: number; bar: number }[] {
  const beatSec = beatsA.length > 1 ? (beatsA.at(-1)! - beatsA[0]!) / (beatsA.length - 1) : 0.5;
  const pairs: { ta: number; tb: number; bar: number }[] = [];
  beatsA.forEach((ta, i) => {
    let tb: number | undefined;
    for (const x of beatsB)
      if (Math.abs(x - ta) < 0.25 * beatSec && (tb === undefined || Math.abs(x - ta) < Math.abs(tb - ta))) tb = x;
    if (tb !== undefined) pairs.push({ ta, tb, bar: Math.floor(i / GROUP_BEATS) });
  });
  return pairs;
}

/**
 * The lag (blocks, sub-block by a parabola) at which B's fold best matches A's core (normalised correlation: a
 * fold against itself peaks at 0 however much of it lies outside the core), how alike they are there, and how
 * alike at the best lag at least AMBIGUOUS_SEC away (a bass riff or a broken beat matches at several lags).
 */
function bestLag(
  fa: Float64Array,
  fb: Float64Array,
  half: number,
  core: number,
  maxLag: number,
  apart: number,
  peaksOnly = false,
): { lag: number; confidence: number; rival: number } {
  let energyA = 0;
  for (let k = half - core; k <= half + core; k++) energyA += fa[k]! * fa[k]!;
  const rho: number[] = [];
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let c = 0;
    let energyB = 0;
    for (let k = half - core; k <= half + core; k++) {
      const y = fb[k + lag]!;
      c += fa[k]! * y;
      energyB += y * y;
    }
    rho.push(energyA > 0 && energyB > 0 ? c / Math.sqrt(energyA * energyB) : 0);
  }
  let at = 0;
  for (let i = 1; i < rho.length; i++) if (rho[i]! > rho[at]!) at = i;
  let rival = 0;
  // With `peaksOnly`, a rival must be a peak of its own: not the shoulder of the best one (a fold over many beats is
  // smoother than one bar's, its peak broader).
  const isPeak = (i: number): boolean =>
    (i === 0 || rho[i]! >= rho[i - 1]!) && (i === rho.length - 1 || rho[i]! >= rho[i + 1]!);
  for (let i = 0; i < rho.length; i++)
    if (Math.abs(i - at) >= apart && (!peaksOnly || isPeak(i))) rival = Math.max(rival, rho[i]!);
  // At the edge of the lags searched, the peak may lie beyond: read as the edge (a fail either way).
  const offset = at > 0 && at < rho.length - 1 ? parabolicOffset(rho[at - 1]!, rho[at]!, rho[at + 1]!) : 0;
  return { lag: at - maxLag + offset, confidence: rho[at]!, rival };
}

/** How clearly a fold has one attack near the beat: its peak within ±MAX_LAG over its mean over ±PROFILE. */
function clarity(f: Float64Array, half: number, maxLag: number): number {
  let peak = 0;
  let sum = 0;
  for (let k = 0; k < f.length; k++) {
    sum += f[k]!;
    if (Math.abs(k - half) <= maxLag) peak = Math.max(peak, f[k]!);
  }
  return sum > 0 ? (peak * f.length) / sum : 0;
}

/**
 * Per bar, B's kicks against A's: both decks' broadband attacks folded over the bar's beats where both play a kick
 * (a low-band rise at least half its usual strength), B's slid against A's. A bar with fewer than two such beats (hats only, a breakdown's
 * pads) has nothing there to misalign; one where either fold has no one clear attack near the beat, or whose folds
 * do not look alike at one lag only, is not measured either.
 */
export function judgeKicks(
  pairs: { ta: number; bar: number }[],
  kicksA: BeatKick[],
  kicksB: BeatKick[],
  kickRefA?: number,
  kickRefB?: number,
  rate = MIX_RATE,
): BeatPhase[] {
  const thresholdA = 0.5 * (kickRefA ?? overlapReference(kicksA));
  const thresholdB = 0.5 * (kickRefB ?? overlapReference(kicksB));
  const half = blocks(PROFILE_SEC, rate);
  const core = blocks(CORE_SEC, rate);
  const maxLag = blocks(MAX_LAG_SEC, rate);
  const out: BeatPhase[] = [];
  for (let i = 0; i < pairs.length;) {
    const bar = pairs[i]!.bar;
    let j = i;
    const fa = new Float64Array(2 * half + 1);
    const fb = new Float64Array(2 * half + 1);
    let count = 0;
    for (; j < pairs.length && pairs[j]!.bar === bar; j++) {
      const ka = kicksA[j]!;
      const kb = kicksB[j]!;
      if (
        !ka.attack ||
        !kb.attack ||
        ka.strength <= 0 ||
        kb.strength <= 0 ||
        ka.strength < thresholdA ||
        kb.strength < thresholdB
      )
        continue;
      for (let k = 0; k < fa.length; k++) {
        fa[k]! += ka.attack[k]!;
        fb[k]! += kb.attack[k]!;
      }
      count++;
    }
    if (count >= MIN_KICKS && clarity(fa, half, maxLag) >= MIN_CLARITY && clarity(fb, half, maxLag) >= MIN_CLARITY) {
      const { lag, confidence, rival } = bestLag(fa, fb, half, core, maxLag, blocks(AMBIGUOUS_SEC, rate));
      if (confidence >= MIN_CONFIDENCE && rival < RIVAL_RATIO * confidence)
        out.push({ atSec: pairs[i]!.ta, errorMs: (lag * BLOCK * 1000) / rate, confidence, beats: count });
    }
    i = j;
  }
  return out;
}

/** A fold less its mean. */
function centred(f: Float64Array): Float64Array {
  const mean = f.reduce((x, y) => x + y, 0) / f.length;
  return f.map((x) => x - mean);
}

/** Each deck's kicks the pooled reading needs: a steady offset read from fewer is a guess. */
const MIN_POOLED_KICKS = 4;
/**
 * The pooled folds are compared about their means (Pearson), which reads lower than the bars' raw correlation: two
 * tracks' kicks 0.47–0.68 on the real-music set, the best rival peak 0.2–0.27; so a lower floor, a stricter rival.
 */
const MIN_POOLED_CONFIDENCE = 0.35;
const POOLED_RIVAL_RATIO = 0.7;

/**
 * B's kicks against A's over the whole overlap, when too few bars carry kicks on both decks at once (a drumless
 * intro under a drumming outro, kicks that alternate): A's broadband attacks folded over every beat where A plays a
 * kick, B's over every beat where B does, the same beats or not, and B's fold slid against A's as for a bar. Both
 * decks sit on the one grid, so what it reads is their steady offset (a grid fitted off its kicks, a misplaced
 * render), the error that flams; drift within one overlap is what the bars read, and needs kicks on both at once.
 * Undefined when either deck has fewer than MIN_POOLED_KICKS kicks, or its fold no one clear attack.
 */
export function pooledPhase(
  pairs: { ta: number }[],
  kicksA: BeatKick[],
  kicksB: BeatKick[],
  kickRefA?: number,
  kickRefB?: number,
  rate = MIX_RATE,
): BeatPhase | undefined {
  const half = blocks(PROFILE_SEC, rate);
  const maxLag = blocks(MAX_LAG_SEC, rate);
  const fold = (kicks: BeatKick[], ref: number | undefined): { f: Float64Array; count: number } => {
    const threshold = 0.5 * (ref ?? overlapReference(kicks));
    const f = new Float64Array(2 * half + 1);
    let count = 0;
    for (const k of kicks) {
      if (!k.attack || k.strength <= 0 || k.strength < threshold) continue;
      for (let i = 0; i < f.length; i++) f[i]! += k.attack[i]!;
      count++;
    }
    return { f, count };
  };
  const fa = fold(kicksA, kickRefA);
  const fb = fold(kicksB, kickRefB);
  if (fa.count < MIN_POOLED_KICKS || fb.count < MIN_POOLED_KICKS) return undefined;
  if (clarity(fa.f, half, maxLag) < MIN_CLARITY || clarity(fb.f, half, maxLag) < MIN_CLARITY) return undefined;
  // About their means: many beats' folds share a floor (hats, pads, tails) that every lag correlates with.
  const { lag, confidence, rival } = bestLag(
    centred(fa.f),
    centred(fb.f),
    half,
    blocks(CORE_SEC, rate),
    maxLag,
    blocks(AMBIGUOUS_SEC, rate),
    true,
  );
  if (confidence < MIN_POOLED_CONFIDENCE || rival >= POOLED_RIVAL_RATIO * confidence) return undefined;
  return {
    atSec: pairs[0]?.ta ?? 0,
    errorMs: (lag * BLOCK * 1000) / rate,
    confidence,
    beats: Math.min(fa.count, fb.count),
  };
}

/** The same track read twice (its rendered deck and its source) correlates at least this well at the right lag. */
const MIN_SAME_TRACK_CONFIDENCE = 0.8;

/**
 * How late `deck` plays a track against `source`, the same track unchanged, on the same beats (each list profiled at
 * one beat's time in its own audio): both attack envelopes folded over every beat, compared about their means. The
 * same music on both sides, so no kick is needed: a melodic outro reads as well as a drum loop. Undefined when the
 * folds do not look alike (silence, or a deck that is not that music there).
 */
export function sameTrackLag(source: BeatKick[], deck: BeatKick[], rate = MIX_RATE): BeatPhase | undefined {
  const half = blocks(PROFILE_SEC, rate);
  const fs = new Float64Array(2 * half + 1);
  const fd = new Float64Array(2 * half + 1);
  let count = 0;
  source.forEach((k, i) => {
    const d = deck[i];
    if (!k.attack || !d?.attack) return;
    for (let j = 0; j < fs.length; j++) {
      fs[j]! += k.attack[j]!;
      fd[j]! += d.attack[j]!;
    }
    count++;
  });
  if (count < MIN_POOLED_KICKS) return undefined;
  const { lag, confidence } = bestLag(
    centred(fs),
    centred(fd),
    half,
    blocks(CORE_SEC, rate),
    blocks(MAX_LAG_SEC, rate),
    blocks(AMBIGUOUS_SEC, rate),
    true,
  );
  if (confidence < MIN_SAME_TRACK_CONFIDENCE) return undefined;
  return { atSec: 0, errorMs: (lag * BLOCK * 1000) / rate, confidence, beats: count };
}

/** Both decks profiled on A's beats where B plays one too (the grid B plays to): what the bars and the pool read. */
export function profileDecks(p: DeckPair): {
  pairs: { ta: number; tb: number; bar: number }[];
  kicksA: BeatKick[];
  kicksB: BeatKick[];
} {
  const pairs = pairBeats(p.beatsA, p.beatsB);
  const at = pairs.map((x) => x.ta);
  return { pairs, kicksA: beatKicks(p.a, p.rate, at, p.channels), kicksB: beatKicks(p.b, p.rate, at, p.channels) };
}

/** The two steps at once, on decks already rendered. */
export function deckPhaseErrors(p: DeckPair): BeatPhase[] {
  const { pairs, kicksA, kicksB } = profileDecks(p);
  return judgeKicks(pairs, kicksA, kicksB, p.kickRefA, p.kickRefB, p.rate);
}

export interface PhaseSummary {
  /** Bars measured, and the beats folded in them. */
  barsCompared: number;
  beatsCompared: number;
  medianAbsMs: number;
  maxAbsMs: number;
  /** The signed median: a steady offset between the decks (positive: B late). */
  offsetMs: number;
}

export function summarizePhase(errors: BeatPhase[]): PhaseSummary {
  const abs = errors.map((e) => Math.abs(e.errorMs));
  return {
    barsCompared: errors.length,
    beatsCompared: errors.reduce((n, e) => n + (e.beats ?? 1), 0),
    medianAbsMs: errors.length ? median(abs) : 0,
    maxAbsMs: errors.length ? Math.max(...abs) : 0,
    offsetMs: errors.length ? median(errors.map((e) => e.errorMs)) : 0,
  };
}
