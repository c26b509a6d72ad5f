// npm run bench:mix — the hands, measured on what they render: beat alignment, loudness, true peak, tempo continuity, speed.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { DeckReader } from '../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../src/audio/io/mix-format.ts';
import { ffmpegPath } from '../src/audio/io/ffmpeg-path.ts';
import { planTransition } from '../src/audio/transition/transition-plan.ts';
import { TransitionRamp } from '../src/audio/transition/transition-ramp.ts';
import { renderTransition } from '../src/audio/transition/render-job.ts';
import type { RenderedTransition } from '../src/audio/transition/render-job.ts';
import { TruePeakMeter } from '../src/audio/dsp/true-peak.ts';
import { decodeWavInterleaved } from '../src/audio/io/wav.ts';
import { orderTracks } from '../src/ai/order-tracks.ts';
import { mixSet } from '../src/audio/set/mix-set.ts';
import type { OrderMode } from '../src/audio/set/order-mode.ts';
import type { MixReport } from '../src/audio/set/set-report.ts';
import { ingestTracks } from '../src/ingest/ingest-tracks.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { DEMO_TRACKS, ensureDemoLibrary } from '../src/demo/demo-library.ts';
import { measureSet } from '../src/eval/set-quality.ts';
import type { SetQuality } from '../src/eval/set-quality.ts';
import { median } from '../src/audio/dsp/stats.ts';
import { loadSharedTruth, PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';

const run = promisify(execFile);
const OUT = path.join(PROJECT_ROOT, 'out');
const WORK = path.join(PROJECT_ROOT, 'data', 'bench-mix');
mkdirSync(OUT, { recursive: true });
mkdirSync(WORK, { recursive: true });
const report: Record<string, unknown> = {};

/** True peak of the set after Ogg Opus encoding, read to the set's known length. */
async function oggTruePeak(wav: string, durationSec: number): Promise<number> {
  const ogg = wav.replace(/\.wav$/, '.ogg');
  await run(ffmpegPath(), ['-v', 'error', '-y', '-i', wav, '-c:a', 'libopus', '-b:a', '160k', ogg]);
  const deck = new DeckReader({ file: ogg, fromSec: 0 });
  const meter = new TruePeakMeter(2);
  try {
    for (let left = Math.ceil(durationSec * MIX_RATE); left > 0; left -= MIX_RATE * 10)
      meter.push(await deck.read(Math.min(left, MIX_RATE * 10)));
  } finally {
    deck.close();
  }
  return meter.truePeakDb();
}

function printQuality(name: string, q: SetQuality, report: MixReport): void {
  const { durationSec, renderSec } = report;
  console.log(
    `\n## ${name}: ${(durationSec / 60).toFixed(1)} min, ${q.transitions.length} transitions, rendered in ${renderSec.toFixed(1)} s (${(durationSec / renderSec).toFixed(0)}× real time)`,
  );
  // What the planner chose and why: a set without blends says here what made each a non-blend.
  for (const t of report.transitions)
    console.log(
      `  transition ${t.index} at ${t.startSec.toFixed(1)} s, ${t.from.title} → ${t.to.title}: ${t.style} — ${t.explanation}`,
    );
  for (const o of q.overlaps)
    console.log(
      `  overlap ${o.index} (${o.style}): ${o.barsCompared} bars (${o.beatsCompared} beats), deck beat-phase error median ${o.medianAbsMs.toFixed(2)} ms, max ${o.maxAbsMs.toFixed(2)} ms`,
    );
  for (const t of q.transitions) {
    console.log(
      `  transition ${t.index}: short-term loudness vs the louder deck alone ≤ ${t.worstVsDecksLu.toFixed(2)} LU; inside ${t.minInsideLufs.toFixed(1)}…${t.maxInsideLufs.toFixed(1)} LUFS vs ${t.beforeLufs.toFixed(1)} before / ${t.afterLufs.toFixed(1)} after (30 s medians)`,
    );
  }
  if (Number.isFinite(q.phaseMedianMs))
    console.log(
      `  beat-phase error across overlaps: median ${q.phaseMedianMs.toFixed(2)} ms, max ${q.phaseMaxMs.toFixed(2)} ms (targets ≤ 5, ≤ 20)`,
    );
  else console.log('  beat-phase error across overlaps: none to measure (no beat-matched overlap in this set)');
  for (const t of q.stretchTiming)
    console.log(
      `  transition ${t.index}: stretched deck vs its tempo schedule (${t.windows} windows of 3 s, onset envelopes): worst ${t.overlapMaxMs.toFixed(2)} ms in the overlap, ${t.rampMaxMs.toFixed(2)} ms in the ramp`,
    );
  for (const b of q.bassSwaps) {
    console.log(
      `  transition ${b.index}: bass swap ${b.crossoverBeats.toFixed(2)} beats after A's phrase boundary; both basslines above half level for ${(b.bothInSec * 1000).toFixed(0)} ms (${b.windows} windows of ⅛ beat)`,
    );
  }
  for (const h of q.harmonyFades) {
    console.log(
      `  transition ${h.index}: filter fade keeps the harmonies apart: both decks' mids above half level for ${(h.bothInSec * 1000).toFixed(0)} ms (${h.windows} windows of ⅛ beat)`,
    );
  }
  const bodies = q.bodyLufs.map((b) => b.lufs).filter(Number.isFinite);
  console.log(
    `  integrated loudness: the set ${q.integratedLufs.toFixed(1)} LUFS, each track where it plays alone ${Math.min(...bodies).toFixed(1)}…${Math.max(...bodies).toFixed(1)} LUFS (target -14 for the set and for each whole track; a track alone is its louder middle)`,
  );
  console.log(`  true peak ${q.truePeakDb.toFixed(2)} dBTP (target ≤ -1)`);
  console.log(
    `  loudness in transitions vs the decks: worst ${q.worstVsDecksLu.toFixed(2)} LU (target ≤ 2); for information, against the 30 s medians around them: worst ${q.worstLoudnessExcessLu.toFixed(2)} LU outside (the tracks' own outros and intros are quieter than their drops)`,
  );
  console.log(
    `  tempo continuity: ${q.ibiChecked} consecutive beat pairs, largest change ${q.maxIbiJumpPct.toFixed(2)} % (target ≤ 1.5 %); largest change the mix added to the source's own timing ${q.maxIbiJumpVsSourcePct.toFixed(2)} %`,
  );
  if (q.maxIbiJumpPct > 1.5) {
    // Say where: a track's own timing (its source measured the same way) or the mix.
    for (const t of q.ibiByTrack.filter((x) => x.maxJumpPct > 1.5)) {
      console.log(
        `    over 1.5 % inside ${t.title}: ${t.maxJumpPct.toFixed(2)} % in the set, ${t.sourceMaxJumpPct.toFixed(2)} % between the same beats in the source itself (the mix adds ${t.maxVsSourcePct.toFixed(2)} %)`,
      );
    }
    const rest = q.ibiByTrack.filter((x) => x.maxJumpPct <= 1.5);
    console.log(
      `    every other track (${rest.length}, ${rest.reduce((n, t) => n + t.checked, 0)} pairs): largest change ${Math.max(0, ...rest.map((t) => t.maxJumpPct)).toFixed(2)} %`,
    );
  }
  console.log(`  styles: ${q.overlaps.length} beat-matched overlaps of ${q.transitions.length} transitions`);
}

async function measureMix(name: string, files: string[], order: OrderMode): Promise<Record<string, unknown>> {
  const wav = path.join(WORK, `${name}.wav`);
  const scorer = await MixScorer.load();
  const store = await AnalysisStore.open(process.env.MINIDJ_DB);
  const pool = new AnalyzerPool({ size: 2 });
  const tracks = await ingestTracks(files, pool, store, (l) => console.error(l));
  await pool.close();
  const result = await mixSet(await orderTracks(tracks, scorer, order), wav, order, -14);
  await store.close();
  await scorer.close();
  const q = await measureSet(decodeWavInterleaved(readFileSync(wav)).stereo, result.tracks, result.transitions, -14);
  printQuality(name, q, result.report);
  const ogg = await oggTruePeak(wav, result.report.durationSec);
  console.log(`  after Ogg Opus encoding (160 kb/s): true peak ${ogg.toFixed(2)} dBTP`);
  return {
    durationSec: result.report.durationSec,
    renderSec: result.report.renderSec,
    ...q,
    oggTruePeakDb: ogg,
    overlaps: q.overlaps.map(({ errorsMs: _e, ...o }) => o),
  };
}

/** The file looped to three times its length, re-timed by rubberband to each tempo (pitch kept). */
async function loopAtTempos(file: string, bpm: number, tempos: number[]): Promise<string[]> {
  // Looped as PCM: looping the MP3 itself restarts its decoder at each seam, which leaves 15 ms of silence and a
  // kick 17 ms late there (a tempo jump in the material, not in the mix).
  const once = path.join(WORK, 'loop-x1.wav');
  const looped = path.join(WORK, 'loop-x3.wav');
  await run(ffmpegPath(), ['-v', 'error', '-y', '-i', file, '-c:a', 'pcm_s16le', once]);
  await run(ffmpegPath(), ['-v', 'error', '-y', '-stream_loop', '2', '-i', once, '-c:a', 'pcm_s16le', looped]);
  return Promise.all(
    tempos.map(async (t) => {
      if (t === bpm) return looped;
      const out = path.join(WORK, `loop-x3-${t}.wav`);
      await run(ffmpegPath(), [
        '-v',
        'error',
        '-y',
        '-i',
        looped,
        '-af',
        `rubberband=tempo=${t / bpm}`,
        '-c:a',
        'pcm_s16le',
        out,
      ]);
      return out;
    }),
  );
}

// `npm run bench:mix -- --speed` runs only section 3 (a minute instead of several).
const speedOnly = process.argv.includes('--speed');
console.log('# Mini-DJ mix benchmark (measured by re-analysing the rendered audio)');

// 1. The demo set.
const demoFiles = speedOnly ? [] : await ensureDemoLibrary(path.join(PROJECT_ROOT, 'data', 'demo-library'));
if (!speedOnly) report.demo = await measureMix('demo-set', demoFiles, 'smart');

// 2. A set mixed from the real clips (20 s or longer) in ../shared/audio.
const truth = speedOnly ? undefined : await loadSharedTruth();
if (truth) {
  const clips = truth.entries.filter((e) => e.durationSec >= 20).map((e) => e.file);
  report.real = await measureMix('real-clips-set', clips, 'smart');
  // The clips differ too much in tempo, and are too short, for a beat-matched blend, so the set above has none. The
  // one steady-tempo recording (a 16-bar techno loop, 125 BPM) looped to 48 bars and re-timed by rubberband to 122 and
  // 128 BPM gives real recorded drums to beat-match: 122 → 125 → 128, two blends measured the same way.
  const loop = truth.entries.find((e) => path.basename(e.file) === 'techno_loop.mp3');
  if (loop)
    report.realBeatMatched = await measureMix(
      'real-drums-beat-matched',
      await loopAtTempos(loop.file, 125, [122, 125, 128]),
      'queue',
    );
} else if (!speedOnly) console.log('\n(real clips skipped: ../shared/audio not found)');

// 3. Speed: a 32-bar transition at 128 BPM, both at 128 (no stretch) and against a 126 BPM track (stretched), against
// decoding the same audio in the same run. The machine is shared: seven renders each, the best and the median.
async function transitionSpeed(name: string, bpmB: number, seedB: number): Promise<Record<string, number>> {
  const a = path.join(WORK, 't32-a.wav');
  const b = path.join(WORK, `t32-b-${bpmB}.wav`);
  const sections = [
    { label: 'intro' as const, bars: 32 },
    { label: 'drop' as const, bars: 32 },
    { label: 'outro' as const, bars: 32 },
  ];
  await writeSynthTrack(a, { bpm: 128, key: 'A', scale: 'minor', seed: 1, sections });
  await writeSynthTrack(b, { bpm: bpmB, key: 'E', scale: 'minor', seed: seedB, sections });
  const pool = new AnalyzerPool({ size: 2 });
  const [aa, ba] = await Promise.all([pool.analyze(a), pool.analyze(b)]);
  await pool.close();
  const plan = planTransition(
    { id: 'a', file: a, title: 'a', analysis: aa },
    { id: 'b', file: b, title: 'b', analysis: ba },
  );
  // With the beats, as the set engine gives them: the render checks its decks' beats before it returns.
  const job = {
    plan,
    from: { file: a, gain: 1, bpm: aa.bpm },
    to: { file: b, gain: 1, bpm: ba.bpm },
    checkBeats: { from: aa.beats, to: ba.beats },
  };
  /** Seven renders: the median and best wall times, and the last render. */
  const timed = async (render: () => Promise<RenderedTransition>) => {
    const times: number[] = [];
    let last: RenderedTransition | undefined;
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      last = await render();
      times.push((performance.now() - t0) / 1000);
    }
    return { sec: median(times), best: Math.min(...times), rendered: last! };
  };
  // What the set renders ahead, then, as the baseline in the same run, the ramp rendered ahead with it (as before the
  // ramp was streamed).
  const ahead = await timed(() => renderTransition(job));
  const withRamp =
    plan.rampBars > 0 ? await timed(() => renderTransition(job, undefined, { rampAhead: true })) : undefined;
  const { rendered } = ahead;
  const renderedSec = rendered.frames / MIX_RATE;
  const t0 = performance.now();
  const deck = new DeckReader({ file: b, fromSec: plan.entrySec });
  await deck.read(rendered.frames);
  deck.close();
  const decodeSec = (performance.now() - t0) / 1000;
  const overlapX = plan.overlapSec / ahead.sec;
  const check = rendered.check;
  console.log(
    `  ${name}: ${plan.overlapBars}-bar ${plan.style}${plan.rampBars ? ` + ${plan.rampBars}-bar tempo ramp` : ''}; rendered ahead: ${renderedSec.toFixed(1)} s in ${ahead.sec.toFixed(2)} s ` +
      `(median of 7; best ${ahead.best.toFixed(2)} s) → ${overlapX.toFixed(1)}× real time for the 32 bars (best ${(plan.overlapSec / ahead.best).toFixed(1)}×; target ≥ 50×); ` +
      `decoding the same without stretching: ${decodeSec.toFixed(2)} s`,
  );
  if (check)
    console.log(
      `    the beat check inside it: ${check.barsCompared} bars (${check.beatsCompared} beats), median ${check.medianAbsMs.toFixed(2)} ms, max ${check.maxAbsMs.toFixed(2)} ms, ${check.passed ? 'passed' : 'failed'}; cost ${check.costMs.toFixed(0)} ms on the render's thread`,
    );
  const result: Record<string, number> = {
    renderSec: ahead.sec,
    bestRenderSec: ahead.best,
    overlapSec: plan.overlapSec,
    renderedSec,
    overlapSpeedX: overlapX,
    bestOverlapSpeedX: plan.overlapSec / ahead.best,
    decodeBaselineSec: decodeSec,
    checkMs: check?.costMs ?? NaN,
  };
  if (withRamp) {
    // The ramp as the set streams it after the render: B alone through rubberband, read as fast as it comes.
    const t1 = performance.now();
    const ramp = new TransitionRamp(job, rendered);
    await ramp.read(ramp.frames);
    ramp.close();
    const rampSec = (performance.now() - t1) / 1000;
    const rampAudioSec = ramp.frames / MIX_RATE;
    console.log(
      `    baseline, the ramp rendered ahead too: ${(withRamp.rendered.frames / MIX_RATE).toFixed(1)} s in ${withRamp.sec.toFixed(2)} s → ${(plan.overlapSec / withRamp.sec).toFixed(1)}× for the 32 bars; ` +
        `streaming the ramp saves ${(100 * (1 - ahead.sec / withRamp.sec)).toFixed(0)} % of the render ahead. The ramp streamed with B's body: ${rampAudioSec.toFixed(1)} s in ${rampSec.toFixed(2)} s (${(rampAudioSec / rampSec).toFixed(0)}× real time, one core)`,
    );
    Object.assign(result, {
      rampAheadRenderSec: withRamp.sec,
      rampAheadOverlapSpeedX: plan.overlapSec / withRamp.sec,
      streamedRampSec: rampAudioSec,
      streamedRampReadSec: rampSec,
    });
  }
  return result;
}
console.log('\n## Speed');
report.transition32SameTempo = await transitionSpeed('128 → 128 BPM', 128, 3);
report.transition32Stretched = await transitionSpeed('128 → 126 BPM (B stretched +1.6 % by rubberband)', 126, 2);

// 4. Memory bound: the demo set, a set twice as long and a never-ending one, each rendered in a child process.
if (!speedOnly) {
  // Twice as long: the demo crate plus seven more tracks made from the same recipes with other seeds.
  const more: string[] = [];
  for (const [i, t] of DEMO_TRACKS.entries()) {
    const file = path.join(WORK, `more-${i}.wav`);
    await writeSynthTrack(file, { ...t.options, seed: t.options.seed + 1000 });
    more.push(file);
  }
  // Analyse the extra tracks first, so that the children measure rendering, not analysis.
  {
    const store = await AnalysisStore.open(process.env.MINIDJ_DB);
    const pool = new AnalyzerPool({ size: 2 });
    await ingestTracks(more, pool, store, (l) => console.error(l));
    await pool.close();
    await store.close();
  }
  const one = await run(
    process.execPath,
    [path.join(PROJECT_ROOT, 'bench/mix-one.ts'), path.join(WORK, 'mem-1x.ogg'), 'queue', ...demoFiles],
    { maxBuffer: 64 << 20 },
  );
  const two = await run(
    process.execPath,
    [path.join(PROJECT_ROOT, 'bench/mix-one.ts'), path.join(WORK, 'mem-2x.ogg'), 'queue', ...demoFiles, ...more],
    { maxBuffer: 64 << 20 },
  );
  const r1 = JSON.parse(one.stdout) as { report: { durationSec: number; renderSec: number }; peakRssMb: number };
  const r2 = JSON.parse(two.stdout) as { report: { durationSec: number; renderSec: number }; peakRssMb: number };
  console.log(
    `\n## Memory\n  ${(r1.report.durationSec / 60).toFixed(1)}-min set: peak RSS ${r1.peakRssMb.toFixed(0)} MB, ${(r1.report.durationSec / r1.report.renderSec).toFixed(0)}× real time`,
  );
  console.log(
    `  ${(r2.report.durationSec / 60).toFixed(1)}-min set: peak RSS ${r2.peakRssMb.toFixed(0)} MB (target ≤ 500 MB whatever the length)`,
  );
  // A live set never ends: the demo crate over and over for 2 hours of set time, as a live set's `nextTrack` feeds it.
  const endless = await run(process.execPath, [path.join(PROJECT_ROOT, 'bench/endless-one.ts'), '2', ...demoFiles], {
    maxBuffer: 64 << 20,
  });
  const r3 = JSON.parse(endless.stdout) as {
    setSec: number;
    renderSec: number;
    transitions: number;
    samples: { setMin: number; rssMb: number }[];
    peakRssMb: number;
  };
  const rssAt = (min: number) => r3.samples.findLast((s) => s.setMin <= min)?.rssMb ?? NaN;
  const secondHour = r3.samples.filter((s) => s.setMin >= 60).map((s) => s.rssMb);
  console.log(
    `  never-ending set (the demo crate again and again, ${(r3.setSec / 3600).toFixed(1)} h of set time, ${r3.transitions} transitions, ${(r3.setSec / r3.renderSec).toFixed(0)}× real time): ` +
      `RSS ${rssAt(30).toFixed(0)} MB at 30 min, ${rssAt(60).toFixed(0)} MB at 1 h, ${rssAt(120).toFixed(0)} MB at 2 h; second hour ${Math.min(...secondHour).toFixed(0)}–${Math.max(...secondHour).toFixed(0)} MB; peak ${r3.peakRssMb.toFixed(0)} MB`,
  );
  report.memory = { short: r1, long: r2, endless: r3 };
}
const reportFile = speedOnly ? 'bench-mix-speed.json' : 'bench-mix.json';
writeFileSync(path.join(OUT, reportFile), JSON.stringify(report, null, 2));
console.log(`\nwritten: out/${reportFile}`);
