// bench:real's bars section: where the ears put the bars, now and before (the code before, in legacy-downbeats.ts, on
// the same beats in the same run). The band songs of ../shared/band-music against their charts' bar lines; the clips
// of ../shared/audio with annotated downbeats (downbeat F); the released tracks of ../shared/real-music (agreement,
// confidence); and the bar check's reading of every track as a deck at its cues, on its bars and half a bar off.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { MIN_APART_SHARE, MIN_APART_T } from '../src/audio/transition/bar-check.ts';
import { MIN_BAR_PHASE_CONFIDENCE } from '../src/audio/transition/transition-plan.ts';
import { chartBarPositions, chartOffset } from '../src/eval/chart-bars.ts';
import { GUITAR_CHART_OFFSET_SEC } from './band-chart-offsets.ts';
import type { ChartOffset } from '../src/eval/chart-bars.ts';
import { beatFMeasure, truncatedAnnotationWindow } from '../src/eval/metrics.ts';
import { loadSharedTruth, PROJECT_ROOT } from '../src/eval/shared-truth.ts';

const run = promisify(execFile);
const BAND_DIR = process.env.MINIDJ_BAND_MUSIC
  ? path.resolve(process.env.MINIDJ_BAND_MUSIC)
  : path.resolve(PROJECT_ROOT, '../shared/band-music');

interface Reading {
  cue: 'mixIn' | 'mixOut';
  shift: number;
  phase: number;
  confidence: number;
  t: number;
}

interface BarsOne {
  ok: boolean;
  error?: string;
  bpm: number;
  beats: number[];
  phase: number;
  confidence: number;
  downbeats: number[];
  legacyPhase: number;
  legacyDownbeats: number[];
  parity?: 0 | 1;
  legacyParity?: 0 | 1;
  /** The phase whose downbeat the music's first sound is on (see bars-one.ts). */
  startPhase: number;
  readings: Reading[];
  cpu: { analysisMs: number; barsMs: number; legacyMs: number };
}

async function barsOf(file: string): Promise<BarsOne> {
  const { stdout } = await run(process.execPath, [path.join(PROJECT_ROOT, 'bench/bars-one.ts'), file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as BarsOne;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const BEATS = ['1', '2', '3', '4'];

/** Each band song: the beat of the chart's bar its downbeats fall on (both offset readings), now and before. */
interface BandRow {
  file: string;
  chartBpm: number;
  bpm: number;
  confidence: number;
  nowLate: string;
  nowNearest: string;
  beforeLate: string;
  beforeNearest: string;
  halfTimeNow: string;
  halfTimeBefore: string;
  /** With the chart placed by its guitar stem (band-chart-offsets.ts): the chart beat the downbeats fall on. */
  nowGuitar: string;
  /** The beats' median distance from the chart's beats so placed (ms; + late). Half a beat: on its off-beats. */
  beatsFromChartMs: number | null;
}

/** The median distance of `beats` from the nearest beat of the chart placed at `offsetSec` (ms, + late). */
function beatsFromChart(beats: number[], offsetSec: number, beatSec: number): number {
  const d = beats.map((b) => {
    const x = (b - offsetSec) / beatSec;
    return (x - Math.round(x)) * beatSec * 1000;
  });
  return Math.round(median(d));
}

async function bandSongs(all: BarsOne[]): Promise<BandRow[]> {
  const truthFile = path.join(BAND_DIR, 'truth.json');
  if (!existsSync(truthFile)) {
    console.log(`(band songs skipped: ${BAND_DIR} not found; set MINIDJ_BAND_MUSIC)`);
    return [];
  }
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as {
    file: string;
    bpm: number;
    meter: string;
    chart_beat_s: number;
  }[];
  console.log(
    `\n### Band songs (${truth.length}, ${BAND_DIR}): the chart beat the downbeats fall on (1 = its bar lines), offset read late / nearest\n`,
  );
  console.log(
    'song                       chart BPM   ours   now (late/nearest)  before   confidence  half-time (now/before)  by guitar: downbeats, beats from chart (ms)',
  );
  const rows: BandRow[] = [];
  for (const t of truth) {
    const r = await barsOf(path.join(BAND_DIR, t.file));
    if (!r.ok) {
      console.log(`${t.file.padEnd(26)} error: ${r.error}`);
      continue;
    }
    all.push(r);
    const on = (times: number[], reading: ChartOffset | number): string => {
      const offset = typeof reading === 'number' ? reading : chartOffset(r.beats, t.chart_beat_s, reading);
      const counts = chartBarPositions(times, offset, t.chart_beat_s);
      const top = counts.indexOf(Math.max(...counts));
      return `${BEATS[top]}${counts[top] === times.length ? '' : `(${counts[top]}/${times.length})`}`;
    };
    // Kept when a tracked tempo is halved: every other beat from `parity` on, right when they are the chart's 1 and 3.
    const halfOn = (parity: 0 | 1 | undefined): string => {
      if (parity === undefined) return '-';
      const counts = chartBarPositions(
        r.beats.filter((_, i) => i % 2 === parity),
        chartOffset(r.beats, t.chart_beat_s, 'late'),
        t.chart_beat_s,
      );
      return counts[0]! + counts[2]! > counts[1]! + counts[3]! ? '1&3' : '2&4';
    };
    const guitar = GUITAR_CHART_OFFSET_SEC[t.file];
    const row: BandRow = {
      file: t.file,
      chartBpm: t.bpm,
      bpm: r.bpm,
      confidence: r.confidence,
      nowLate: on(r.downbeats, 'late'),
      nowNearest: on(r.downbeats, 'nearest'),
      beforeLate: on(r.legacyDownbeats, 'late'),
      beforeNearest: on(r.legacyDownbeats, 'nearest'),
      halfTimeNow: halfOn(r.parity),
      halfTimeBefore: halfOn(r.legacyParity),
      nowGuitar: guitar === undefined ? '-' : on(r.downbeats, guitar),
      beatsFromChartMs: guitar === undefined ? null : beatsFromChart(r.beats, guitar, t.chart_beat_s),
    };
    rows.push(row);
    console.log(
      `${t.file.padEnd(26)} ${t.bpm.toFixed(1).padStart(7)} ${r.bpm.toFixed(1).padStart(7)}   ${row.nowLate} / ${row.nowNearest}`.padEnd(
        58,
      ) +
        `${row.beforeLate} / ${row.beforeNearest}`.padEnd(10) +
        `${r.confidence.toFixed(2).padStart(6)}      ${row.halfTimeNow} / ${row.halfTimeBefore}`.padEnd(24) +
        `${row.nowGuitar.padEnd(8)} ${row.beatsFromChartMs === null ? '-' : `${row.beatsFromChartMs > 0 ? '+' : ''}${row.beatsFromChartMs}`}`,
    );
  }
  const count = (key: 'nowLate' | 'nowNearest' | 'beforeLate' | 'beforeNearest'): number =>
    rows.filter((r) => r[key] === '1').length;
  console.log(
    `\nband songs: downbeats on the chart's bar lines now ${count('nowLate')} of ${rows.length} (offset late), ${count('nowNearest')} (nearest); before ${count('beforeLate')} and ${count('beforeNearest')}; ` +
      `half-time beats on the chart's 1 and 3 now ${rows.filter((r) => r.halfTimeNow === '1&3').length}, before ${rows.filter((r) => r.halfTimeBefore === '1&3').length}; ` +
      `with the chart placed by its guitar stem: downbeats on its bar lines ${rows.filter((r) => r.nowGuitar === '1').length} of ${rows.filter((r) => r.nowGuitar !== '-').length}, ` +
      `beats within a quarter beat of its beats ${rows.filter((r) => r.beatsFromChartMs !== null && Math.abs(r.beatsFromChartMs) < 60_000 / r.chartBpm / 4).length}`,
  );
  return rows;
}

/** The shared clips annotated with more than one downbeat: downbeat F now and before. */
interface ClipRow {
  clip: string;
  meter?: string;
  now: number;
  before: number;
  confidence: number;
}

async function annotatedClips(all: BarsOne[]): Promise<ClipRow[]> {
  const shared = await loadSharedTruth();
  const clips = (shared?.entries ?? []).filter((e) => (e.downbeats?.length ?? 0) > 1);
  console.log(`\n### Clips of ../shared/audio with downbeats (${clips.length}): downbeat F (±70 ms), now and before\n`);
  const rows: ClipRow[] = [];
  for (const e of clips) {
    const r = await barsOf(e.file);
    if (!r.ok) continue;
    all.push(r);
    const window = e.beatsComplete || !e.beats ? {} : truncatedAnnotationWindow(e.beats);
    const now = beatFMeasure(r.downbeats, e.downbeats!, 0.07, window).f;
    const before = beatFMeasure(r.legacyDownbeats, e.downbeats!, 0.07, window).f;
    rows.push({ clip: path.basename(e.id), meter: e.meter, now, before, confidence: r.confidence });
    console.log(
      `${path.basename(e.id).slice(0, 40).padEnd(40)} ${(e.meter ?? '').slice(0, 12).padEnd(12)} now ${now.toFixed(3)}  before ${before.toFixed(3)}  confidence ${r.confidence.toFixed(2)}`,
    );
  }
  const mean = (k: 'now' | 'before'): number => rows.reduce((s, r) => s + r[k], 0) / Math.max(1, rows.length);
  console.log(
    `\nclips: downbeat F now ${mean('now').toFixed(3)}, before ${mean('before').toFixed(3)} (mean of ${rows.length})`,
  );
  return rows;
}

/** The released tracks: the phase now against before, and the confidence. */
async function releasedTracks(realDir: string, files: string[], all: BarsOne[]): Promise<Record<string, unknown>> {
  const rows: { file: string; phase: number; legacyPhase: number; startPhase: number; confidence: number }[] = [];
  for (const f of files) {
    const r = await barsOf(path.join(realDir, f));
    if (!r.ok) continue;
    all.push(r);
    rows.push({
      file: f,
      phase: r.phase,
      legacyPhase: r.legacyPhase,
      startPhase: r.startPhase,
      confidence: r.confidence,
    });
  }
  const moved = rows.filter((r) => r.phase !== r.legacyPhase);
  const starts = (list: typeof rows, key: 'phase' | 'legacyPhase'): number =>
    list.filter((r) => r[key] === r.startPhase).length;
  const confidences = rows.map((r) => r.confidence);
  console.log(
    `\n### Released tracks (${rows.length}): the bar phase now as before on ${rows.length - moved.length}; moved on ${moved.map((r) => `${r.file} (+${(r.phase - r.legacyPhase + 4) % 4})`).join(', ')}; ` +
      `confidence min ${Math.min(...confidences).toFixed(2)}, median ${median(confidences).toFixed(2)}; under ${MIN_BAR_PHASE_CONFIDENCE} (short overlaps) ${confidences.filter((c) => c < MIN_BAR_PHASE_CONFIDENCE).length}. ` +
      `A downbeat on the music's first sound (produced music starts on one; a proxy): now ${starts(rows, 'phase')}, before ${starts(rows, 'legacyPhase')}; of the moved, now ${starts(moved, 'phase')}, before ${starts(moved, 'legacyPhase')}`,
  );
  return { rows, moved: moved.length, startsNow: starts(rows, 'phase'), startsBefore: starts(rows, 'legacyPhase') };
}

/** The bar check's reading of each track as a deck (8 bars from each cue): apart on the ears' bars, and half a bar off. */
function deckReadings(all: BarsOne[]): Record<string, number> {
  const readings = all.flatMap((r) => r.readings);
  const apart = (x: Reading): boolean => x.phase !== 0 && x.confidence >= MIN_APART_SHARE && x.t >= MIN_APART_T;
  const on = readings.filter((x) => x.shift === 0);
  const off = readings.filter((x) => x.shift === 2);
  const s = {
    onBars: on.length,
    onBarsReadApart: on.filter(apart).length,
    halfBarOff: off.length,
    halfBarOffReadApart: off.filter(apart).length,
    halfBarOffReadByTwo: off.filter((x) => apart(x) && x.phase === 2).length,
  };
  console.log(
    `\n### The bar check's reading of a deck (8 bars from each cue, every track above): on the ears' bars ${s.onBars}, read apart ${s.onBarsReadApart}; ` +
      `half a bar off ${s.halfBarOff}, read apart ${s.halfBarOffReadApart} (by the right two beats ${s.halfBarOffReadByTwo})`,
  );
  return s;
}

export async function realBarsSection(realDir: string, realFiles: string[]): Promise<Record<string, unknown>> {
  console.log(
    '\n## Bars: downbeats on band songs, annotated clips and released tracks, now and before (same beats, same run)',
  );
  const all: BarsOne[] = [];
  const band = await bandSongs(all);
  const clips = await annotatedClips(all);
  const released = await releasedTracks(realDir, realFiles, all);
  const deck = deckReadings(all);
  const cpu = {
    barsMsMedian: median(all.map((r) => r.cpu.barsMs)),
    legacyMsMedian: median(all.map((r) => r.cpu.legacyMs)),
    analysisMsMedian: median(all.map((r) => r.cpu.analysisMs)),
  };
  console.log(
    `\nCPU per track (median of ${all.length}): the bars ${cpu.barsMsMedian.toFixed(0)} ms now (with the half-time parity), ${cpu.legacyMsMedian.toFixed(0)} ms before; the whole analysis ${(cpu.analysisMsMedian / 1000).toFixed(2)} s`,
  );
  return { band, clips, released, deck, cpu };
}
