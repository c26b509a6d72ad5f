// bench:real's set section: the hands on released tracks. A smart-ordered set of the steady 120–146 BPM tracks of
// ../shared/real-music, and each `_fast` version blended into its original, mixed by `minidj mix`'s own service and
// measured on the rendered decks as bench:mix measures (src/eval/set-quality.ts).
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import { tempoMatch } from '../src/audio/music/tempo-match.ts';
import { orderTracks } from '../src/ai/order-tracks.ts';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { CHECK_MAX_MS, CHECK_MEDIAN_MS, minCheckBars } from '../src/audio/transition/beat-check.ts';
import { decodeWavInterleaved } from '../src/audio/io/wav.ts';
import { mixSet } from '../src/audio/set/mix-set.ts';
import type { OrderMode } from '../src/audio/set/order-mode.ts';
import { ingestTracks } from '../src/ingest/ingest-tracks.ts';
import { measureSet } from '../src/eval/set-quality.ts';
import type { OverlapAlignment } from '../src/eval/set-quality.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { treeCpu } from '../src/voice/process-cpu.ts';

const WORK = path.join(PROJECT_ROOT, 'data', 'bench-real');
/** The set: machine-timed tracks (fold sharpness ≥ 10) between these tempi, `_fast` versions left to their pairs. */
const SET_BPM = [119, 147];
/** Each piece at two tempi (../shared/real-music/README.md): the fast one mixed into its original. */
const FAST_PAIRS: [string, string][] = [
  ['celtic_fast.ogg', 'celtic.ogg'],
  ['cocoa_river_fast.ogg', 'cocoa_river.ogg'],
  ['landing_in_gran_paradiso_fast.ogg', 'landing_in_gran_paradiso.ogg'],
  ['ravenbridge_mansion_fast.ogg', 'ravenbridge_mansion.ogg'],
  ['theGreatFair_fast.ogg', 'theGreatFair.ogg'],
  ['jumping_to_the_stars_remake_fast.ogg', 'jumping_to_the_stars_remake.ogg'],
];
/** Tempo-compatible: within 6 %, at the same or half/double time (the planner's blend range). */
const COMPATIBLE_PCT = 6;

interface Truth {
  file: string;
  reference_bpm: number;
  fold_sharpness: number;
}

const isFast = (f: string): boolean => /_fast\.|_f\./.test(f);

async function mixAndMeasure(name: string, files: string[], order: OrderMode) {
  // Analysed afresh, not from the store: the ears change under this benchmark, and a stored analysis from another
  // analyzer version is refused rather than mixed.
  const store = undefined;
  const pool = new AnalyzerPool({ size: 2 });
  const scorer = await MixScorer.load();
  try {
    const tracks = await ingestTracks(files, pool, store, (l) => console.error(l));
    if (tracks.length < files.length)
      console.log(`  (${files.length - tracks.length} of ${files.length} tracks could not be analysed)`);
    const wav = path.join(WORK, `${name}.wav`);
    const ordered = await orderTracks(tracks, scorer, order);
    // The mix's CPU: this process (the renderer's thread included) and its decoders.
    const cpu0 = treeCpu();
    const result = await mixSet(ordered, wav, order, -14);
    const cpu1 = treeCpu();
    const mixCpuSec = cpu0 && cpu1 ? cpu1.rootSec + cpu1.childSec - cpu0.rootSec - cpu0.childSec : NaN;
    const q = await measureSet(decodeWavInterleaved(readFileSync(wav)).stereo, result.tracks, result.transitions, -14);
    const transitions = result.report.transitions.map((t) => {
      const m = tempoMatch(t.from.bpm, t.to.bpm);
      const overlap = q.overlaps.find((o) => o.index === t.index);
      const swap = q.bassSwaps.find((b) => b.index === t.index);
      const loud = q.transitions.find((l) => l.index === t.index);
      return {
        index: t.index,
        startSec: t.startSec,
        from: t.from.title,
        to: t.to.title,
        bpm: [t.from.bpm, t.to.bpm].map((x) => Number(x.toFixed(2))),
        compatible: Math.abs(m.stretchPct) <= COMPATIBLE_PCT,
        style: t.style,
        overlapBars: t.overlapBars,
        stretchPct: t.stretchPct,
        pitchCents: t.pitchCents,
        check: t.check,
        phase: overlap ? phaseOf(overlap, t.overlapBars) : undefined,
        bassBothInMs: swap ? Math.round(swap.bothInSec * 1000) : undefined,
        vsDecksLu: loud ? Number(loud.worstVsDecksLu.toFixed(2)) : undefined,
        explanation: t.explanation,
      };
    });
    return {
      durationSec: result.report.durationSec,
      renderSec: result.report.renderSec,
      mixCpuSec,
      integratedLufs: q.integratedLufs,
      truePeakDb: q.truePeakDb,
      worstVsDecksLu: q.worstVsDecksLu,
      transitions,
    };
  } finally {
    await pool.close();
    await scorer.close();
  }
}

type Measured = Awaited<ReturnType<typeof mixAndMeasure>>;

/**
 * The decks' beat phase as the bench reads it, beside the render's own check: bar by bar when enough bars had kicks on
 * both decks (`minCheckBars`), else each deck's kicks pooled over the overlap (one reading), else each deck against its
 * own track on the shared grid (placement), else none.
 */
function phaseOf(o: OverlapAlignment, overlapBars: number) {
  const figures = {
    bars: o.barsCompared,
    beats: o.beatsCompared,
    pooledMs: o.pooled?.errorMs,
    pooledKicks: o.pooled?.kicks,
    placementMs: o.placement?.errorMs,
  };
  if (o.barsCompared >= minCheckBars(overlapBars))
    return {
      ...figures,
      reading: 'bars' as const,
      medianAbsMs: Number(o.medianAbsMs.toFixed(2)),
      maxAbsMs: Number(o.maxAbsMs.toFixed(2)),
    };
  if (o.pooled)
    return {
      ...figures,
      reading: 'pooled' as const,
      medianAbsMs: Math.abs(o.pooled.errorMs),
      maxAbsMs: Math.max(Math.abs(o.pooled.errorMs), o.maxAbsMs),
    };
  if (o.placement)
    return {
      ...figures,
      reading: 'placement' as const,
      medianAbsMs: Math.abs(o.placement.errorMs),
      maxAbsMs: Math.abs(o.placement.errorMs),
    };
  return { ...figures, reading: 'none' as const, medianAbsMs: o.medianAbsMs, maxAbsMs: o.maxAbsMs };
}

function print(name: string, m: Measured): void {
  console.log(
    `\n### ${name}: ${(m.durationSec / 60).toFixed(1)} min, ${m.transitions.length} transitions, rendered in ${m.renderSec.toFixed(1)} s (${m.mixCpuSec.toFixed(1)} CPU-s with the decoders)`,
  );
  for (const t of m.transitions) {
    const pooled =
      t.phase?.pooledMs !== undefined
        ? `, pooled ${t.phase.pooledMs.toFixed(2)} ms over ${t.phase.pooledKicks}+ kicks each`
        : '';
    const placed = t.phase?.placementMs !== undefined ? `, placement ${t.phase.placementMs.toFixed(2)} ms` : '';
    const phase = t.phase
      ? `; decks read by ${t.phase.reading}: ${t.phase.bars} bars (${t.phase.beats} beats)${pooled}${placed}, median ${t.phase.medianAbsMs.toFixed(2)} ms, max ${t.phase.maxAbsMs.toFixed(2)} ms`
      : '';
    const bass = t.bassBothInMs !== undefined ? `; both basslines in ${t.bassBothInMs} ms` : '';
    const vinyl =
      t.pitchCents !== 0
        ? ` [vinyl: ${t.stretchPct >= 0 ? '+' : ''}${t.stretchPct.toFixed(2)} %, pitch ${t.pitchCents >= 0 ? '+' : ''}${t.pitchCents.toFixed(1)} cents]`
        : '';
    console.log(
      `  ${t.index}. [${Math.floor(t.startSec / 60)}:${String(Math.floor(t.startSec % 60)).padStart(2, '0')}] ${t.from} (${t.bpm[0]}) → ${t.to} (${t.bpm[1]})${t.compatible ? '' : ' [not tempo-compatible]'}${vinyl}: ${t.overlapBars}-bar ${t.style}${phase}${bass}${t.vsDecksLu !== undefined ? `; vs the decks ≤ ${t.vsDecksLu} LU` : ''}${t.check ? `; ${t.check.summary}` : ''}`,
    );
    if (t.style === 'cut' || t.style === 'echo-out') console.log(`     why: ${t.explanation}`);
  }
  console.log(
    `  integrated loudness ${m.integratedLufs.toFixed(1)} LUFS, true peak ${m.truePeakDb.toFixed(2)} dBTP, loudness in transitions vs the decks ≤ ${m.worstVsDecksLu.toFixed(2)} LU`,
  );
}

/** What the issue asks of released music: blends between tempo-compatible tracks, their beats together, few re-plans. */
function summarize(all: Measured['transitions']) {
  const compatible = all.filter((t) => t.compatible);
  const matched = compatible.filter((t) => t.style === 'blend' || t.style === 'filter-fade');
  const phased = all.filter((t) => t.phase && t.phase.reading !== 'none');
  const checked = all.filter((t) => t.check);
  const replanned = checked.filter((t) => t.check!.verdict === 'replanned');
  const unchecked = checked.filter((t) => t.check!.verdict === 'unchecked');
  const within = phased.filter((t) => t.phase!.medianAbsMs <= CHECK_MEDIAN_MS && t.phase!.maxAbsMs <= CHECK_MAX_MS);
  return {
    transitions: all.length,
    compatible: compatible.length,
    compatibleBeatMatched: matched.length,
    compatibleBeatMatchedPct: compatible.length ? (100 * matched.length) / compatible.length : NaN,
    styles: Object.fromEntries(
      ['blend', 'filter-fade', 'echo-out', 'cut'].map((s) => [s, all.filter((t) => t.style === s).length]),
    ),
    checked: checked.length,
    replanned: replanned.length,
    unchecked: unchecked.length,
    overlapsBeatMatched: all.filter((t) => t.phase).length,
    vinyl: all
      .filter((t) => t.pitchCents !== 0)
      .map((t) => ({ index: t.index, from: t.from, to: t.to, stretchPct: t.stretchPct, pitchCents: t.pitchCents })),
    overlapsMeasured: phased.length,
    overlapsMeasuredByBars: phased.filter((t) => t.phase!.reading === 'bars').length,
    overlapsMeasuredByPlacement: phased.filter((t) => t.phase!.reading === 'placement').length,
    overlapsWithinLimits: within.length,
    worstOverlapMedianMs: Math.max(0, ...phased.map((t) => t.phase!.medianAbsMs)),
    worstOverlapMaxMs: Math.max(0, ...phased.map((t) => t.phase!.maxAbsMs)),
  };
}

export async function realSetSection(truth: Truth[], realDir: string): Promise<Record<string, unknown>> {
  mkdirSync(WORK, { recursive: true });
  const setFiles = truth
    .filter(
      (t) =>
        t.fold_sharpness >= 10 && !isFast(t.file) && t.reference_bpm >= SET_BPM[0]! && t.reference_bpm <= SET_BPM[1]!,
    )
    .map((t) => path.join(realDir, t.file));
  console.log(
    `\n## The hands on released tracks: a smart-ordered set of ${setFiles.length} (fold ≥ 10, ${SET_BPM[0]}–${SET_BPM[1]} BPM), and the _fast pairs`,
  );
  const set = await mixAndMeasure('real-set', setFiles, 'smart');
  print('smart-ordered set', set);
  const pairs: Record<string, Measured> = {};
  for (const [fast, orig] of FAST_PAIRS) {
    if (!truth.some((t) => t.file === fast)) continue;
    pairs[fast] = await mixAndMeasure(
      `pair-${fast.replace(/\.ogg$/, '')}`,
      [path.join(realDir, fast), path.join(realDir, orig)],
      'queue',
    );
    print(`${fast} → ${orig}`, pairs[fast]);
  }
  const all = [...set.transitions, ...Object.values(pairs).flatMap((p) => p.transitions)];
  const summary = {
    set: summarize(set.transitions),
    pairs: summarize(Object.values(pairs).flatMap((p) => p.transitions)),
    all: summarize(all),
  };
  for (const [name, s] of Object.entries(summary)) {
    console.log(
      `\n${name}: ${s.transitions} transitions (${Object.entries(s.styles)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}); tempo-compatible ${s.compatible}, of them blends or filter fades ${s.compatibleBeatMatched} ` +
        `(${s.compatibleBeatMatchedPct.toFixed(0)} %, target ≥ 80 %); checked ${s.checked}, re-planned ${s.replanned} (target ≤ 1 in 10), too few bars to check ${s.unchecked}; ` +
        `vinyl ${s.vinyl.length}${s.vinyl.length ? ` (${s.vinyl.map((v) => `${v.pitchCents >= 0 ? '+' : ''}${v.pitchCents.toFixed(1)} cents`).join(', ')})` : ''}; beat-matched overlaps measured ${s.overlapsMeasured} of ${s.overlapsBeatMatched} (${s.overlapsMeasuredByBars} by bars, ${s.overlapsMeasuredByPlacement} by placement), within ${CHECK_MEDIAN_MS} ms median and ${CHECK_MAX_MS} ms max ${s.overlapsWithinLimits} (worst median ${s.worstOverlapMedianMs.toFixed(2)} ms, worst max ${s.worstOverlapMaxMs.toFixed(2)} ms)`,
    );
  }
  return { summary, set, pairs };
}
