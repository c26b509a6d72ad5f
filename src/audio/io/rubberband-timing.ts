import { spawn } from 'node:child_process';
import { MIX_RATE } from './mix-format.ts';

/**
 * Where ffmpeg's rubberband puts its output in time, which differs between builds (librubberband 1.8 in the 2018
 * static ffmpeg, 3.1 in Debian's ffmpeg 5.1): the deck allows for both quantities, so its stretched output lands on its
 * tempo schedule whichever ffmpeg the project runs.
 */
export interface RubberbandTiming {
  /**
   * Rubberband's output starts as if its first `startSec` of input had played at tempo 1: a deck stretched at tempo T
   * from its start comes out `startSec × (1 − 1/T)` late (late when faster, early when slower).
   */
  startSec: number;
  /**
   * Rubberband applies a tempo change to input it already holds, so a change takes effect ahead of its command: the
   * command is sent this much input time late, per phase mode.
   */
  leadSec: { independent: number; laminar: number };
}

/**
 * What the deck uses, relative to what the click probe below measures on the same ffmpeg. The deck's values were fitted
 * on music with the 2018 build (start-up 35 ms, lead 0.11 s independent / 0.09 s laminar: kick onsets against the
 * source mapped through the schedule, the junction after the ramp matched to the waveform); the probe's clicks say
 * 47.3 ms and 55.5 ms there (and the same in both phase modes, to 0.001 ms), and these are the differences. On Debian's
 * ffmpeg 5.1 (librubberband 3.1.2) the probe says 32.3 ms and 51.5 ms, so the deck uses 20.1 ms and 0.106 / 0.086 s:
 * the ±4.6 % overlaps there went from 0.72–0.87 ms off their schedule (the 2018 values) to within 0.12 ms. A lead
 * measured on one tempo change instead of a ramp depends on where the clicks fall against the change (35–74 ms on the
 * 2018 build) and moves differently between builds (+15 ms), which is not what the deck's ramps do.
 */
export const MUSIC_MINUS_PROBE: RubberbandTiming = {
  startSec: -0.01225,
  leadSec: { independent: 0.05453, laminar: 0.03453 },
};

/** The values fitted on music with the 2018 static build (librubberband 1.8): used when the probe cannot run. */
export const FALLBACK_TIMING: RubberbandTiming = { startSec: 0.035, leadSec: { independent: 0.11, laminar: 0.09 } };

/** What the probe measures: where its clicks land against the schedule, in the quantities of `RubberbandTiming`. */
export interface ProbeResult {
  startSec: number;
  leadSec: number;
  /** Wall time of the probe (both ffmpeg runs, in parallel). */
  elapsedMs: number;
}

const PROBE_RATE = 44_100;
/** A Gabor click: broadband (about 1.5–4.5 kHz), so rubberband's transient detector takes every one. */
const CLICK_SIGMA = 0.00025;
const CLICK_HZ = 3000;
export const probeClick = (t: number): number =>
  Math.exp(-0.5 * (t / CLICK_SIGMA) ** 2) * Math.sin(2 * Math.PI * CLICK_HZ * t);
/** The probe's stretch either side of 1 (the laminar range's), its beat, and the ramp: one change a beat, to tempo 1. */
const PROBE_STRETCH = 0.046;
const BEAT_SEC = 0.3;
const RAMP_FROM_SEC = 1.2;
const RAMP_BEATS = 8;
const PROBE_SEC = 4.8;
/** Clicks this long after the start or the ramp's end are judged: rubberband has settled on its tempo by then. */
const SETTLE_SEC = 0.45;

/**
 * The probe's input, stereo: a click on every beat (the deck's tempo changes fall on beats, on the kick) and one at an
 * irregular point between (so no period locks to rubberband's hops).
 */
function clickTrain(): { pcm: Float32Array; times: number[] } {
  const times: number[] = [];
  for (let k = 0; (k + 1) * BEAT_SEC < PROBE_SEC; k++) times.push(k * BEAT_SEC, k * BEAT_SEC + 0.11 + 0.0137 * (k % 5));
  const n = Math.round(PROBE_SEC * PROBE_RATE);
  const pcm = new Float32Array(n * 2);
  const reach = 6 * CLICK_SIGMA;
  for (const t0 of times) {
    for (let i = Math.max(0, Math.floor((t0 - reach) * PROBE_RATE)); i <= Math.ceil((t0 + reach) * PROBE_RATE); i++) {
      const v = 0.5 * probeClick(i / PROBE_RATE - t0);
      pcm[i * 2] = v;
      pcm[i * 2 + 1] = v;
    }
  }
  return { pcm, times };
}

/** The deck's filter chain (deck-reader.ts), from `initial` with tempo commands at the given input times. */
function stretchChain(
  initial: number,
  changes: { atSec: number; tempo: number }[],
  phase: 'independent' | 'laminar',
): string {
  const commands = changes.map((c) => `${c.atSec.toFixed(5)} rubberband tempo ${c.tempo.toFixed(6)}`).join(';');
  return [
    'aformat=sample_fmts=flt:channel_layouts=stereo',
    'asetnsamples=n=256',
    ...(commands ? [`asendcmd=c='${commands}'`] : []),
    `rubberband=tempo=${initial.toFixed(6)}:transients=crisp:detector=compound:phase=${phase}`,
    `aresample=${MIX_RATE}:resampler=soxr`,
  ].join(',');
}

function runFilter(ffmpeg: string, input: Float32Array, filters: string): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const args = [
      '-nostdin',
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'f32le',
      '-ar',
      String(PROBE_RATE),
      '-ac',
      '2',
      '-i',
      'pipe:0',
      '-af',
      filters,
      '-f',
      'f32le',
      '-acodec',
      'pcm_f32le',
      'pipe:1',
    ];
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString('utf8');
    });
    child.on('error', reject);
    // EPIPE when the probe exits early: its exit code and stderr say why.
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      if (code !== 0)
        return reject(new Error(`the rubberband probe failed (exit ${code}): ${stderr.trim().slice(0, 200)}`));
      const buf = Buffer.concat(chunks);
      const out = new Float32Array(Math.floor(buf.length / 4));
      new Uint8Array(out.buffer).set(buf.subarray(0, out.length * 4));
      resolve(out);
    });
    child.stdin.end(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  });
}

/** Where (s) the click nearest `expectedSec` is in 48 kHz stereo output: matched to the click's waveform, refined. */
export function locateClick(out: Float32Array, expectedSec: number, searchSec = 0.015): number {
  const half = Math.ceil(6 * CLICK_SIGMA * MIX_RATE);
  const ref = Float64Array.from({ length: 2 * half + 1 }, (_, k) => probeClick((k - half) / MIX_RATE));
  const centre = Math.round(expectedSec * MIX_RATE);
  const search = Math.round(searchSec * MIX_RATE);
  const scores: number[] = [];
  for (let lag = -search; lag <= search; lag++) {
    let dot = 0;
    for (let k = 0; k < ref.length; k++) dot += (out[(centre + lag + k - half) * 2] ?? 0) * ref[k]!;
    scores.push(dot);
  }
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k]! > scores[best]!) best = k;
  const l = scores[best - 1] ?? scores[best]!;
  const r = scores[best + 1] ?? scores[best]!;
  const denom = l - 2 * scores[best]! + r;
  const frac = denom < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / denom)) : 0;
  return (centre - search + best + frac) / MIX_RATE;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * One probe run, as the deck plays a head: from tempo `from`, then back to tempo 1 one beat at a time, each command at
 * its beat (no lead). The start-up comes from the clicks before the ramp, the lead from how far the clicks after it
 * have moved against them.
 */
async function probeRun(ffmpeg: string, from: number): Promise<{ startSec: number; leadSec: number }> {
  const { pcm, times } = clickTrain();
  const ramp = Array.from({ length: RAMP_BEATS }, (_, k) => ({
    atSec: RAMP_FROM_SEC + k * BEAT_SEC,
    tempo: from + ((1 - from) * (k + 1)) / RAMP_BEATS,
  }));
  const schedule = [{ atSec: 0, tempo: from }, ...ramp];
  const out = await runFilter(ffmpeg, pcm, stretchChain(from, ramp, 'independent'));
  // Where each click would be on the schedule as told, with no start-up and no lead.
  const scheduled = (t: number): number =>
    schedule.reduce(
      (sec, s, k) => sec + Math.max(0, Math.min(t, schedule[k + 1]?.atSec ?? Infinity) - s.atSec) / s.tempo,
      0,
    );
  const offset = (fromSec: number, toSec: number): number =>
    mean(times.filter((t) => t >= fromSec && t < toSec).map((t) => locateClick(out, scheduled(t)) - scheduled(t)));
  const before = offset(SETTLE_SEC, RAMP_FROM_SEC - 0.05);
  const after = offset(ramp.at(-1)!.atSec + SETTLE_SEC, PROBE_SEC - 0.2);
  // Late by startSec × (1 − 1/T) from the start; changes that take effect `lead` ahead of their times move what
  // follows by lead × (1/T_end − 1/T_start).
  return { startSec: before / (1 - 1 / from), leadSec: (after - before) / (1 - 1 / from) };
}

/**
 * Measures the chosen ffmpeg's rubberband with a click train through the deck's filter chain: two runs in parallel,
 * one starting 4.6 % slow and one 4.6 % fast, each ramping back to tempo 1 over 8 beats. 4.8 s of audio each.
 */
export async function probeRubberband(ffmpeg: string): Promise<ProbeResult> {
  const t0 = performance.now();
  const runs = await Promise.all([probeRun(ffmpeg, 1 - PROBE_STRETCH), probeRun(ffmpeg, 1 + PROBE_STRETCH)]);
  return {
    startSec: mean(runs.map((r) => r.startSec)),
    leadSec: mean(runs.map((r) => r.leadSec)),
    elapsedMs: performance.now() - t0,
  };
}

/** The deck's timing from a probe's figures. */
export function timingFromProbe(probe: Pick<ProbeResult, 'startSec' | 'leadSec'>): RubberbandTiming {
  return {
    startSec: probe.startSec + MUSIC_MINUS_PROBE.startSec,
    leadSec: {
      independent: probe.leadSec + MUSIC_MINUS_PROBE.leadSec.independent,
      laminar: probe.leadSec + MUSIC_MINUS_PROBE.leadSec.laminar,
    },
  };
}

/** A probe whose clicks were not where a working rubberband puts them (both builds: 30–60 ms) is not believed. */
const plausible = (probe: ProbeResult): boolean =>
  probe.startSec > 0 && probe.startSec < 0.15 && probe.leadSec > 0 && probe.leadSec < 0.3;

const calibrated = new Map<string, RubberbandTiming | Promise<RubberbandTiming>>();

/**
 * The deck's rubberband timing for this ffmpeg: probed once per process (per thread) at first use, then cached. The
 * value itself once known, before that the probe's promise (every deck opened meanwhile waits on the same one). A probe
 * that fails (no librubberband) or measures nonsense gives the 2018 build's values; the deck then reports its own error.
 */
export function rubberbandTiming(ffmpeg: string): RubberbandTiming | Promise<RubberbandTiming> {
  const known = calibrated.get(ffmpeg);
  if (known) return known;
  const pending = probeRubberband(ffmpeg)
    .then(
      (probe) => (plausible(probe) ? timingFromProbe(probe) : FALLBACK_TIMING),
      // No librubberband: the 2018 build's values, and the deck reports its own error.
      () => FALLBACK_TIMING,
    )
    .then((timing) => {
      calibrated.set(ffmpeg, timing);
      return timing;
    });
  calibrated.set(ffmpeg, pending);
  return pending;
}
