import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAubioAvailable, runAubio } from '../src/eval/aubio.ts';
import { bpmFromBeats, parseAubioBeats, parseAubioTempo } from '../src/eval/aubio-output.ts';
import {
  beatFMeasure,
  mirexKeyScore,
  phaseErrorStats,
  tempoAccuracy1,
  tempoAccuracy2,
  truncatedAnnotationWindow,
} from '../src/eval/metrics.ts';
import { runProcess } from '../src/eval/run-process.ts';
import { loadSharedTruth, parseKeyLabel, PROJECT_ROOT, sharedAudioDir } from '../src/eval/shared-truth.ts';
import { withTempWav } from '../src/eval/temp-wav.ts';

const SHARED_DIR = sharedAudioDir();
const shared = await loadSharedTruth(SHARED_DIR);
const NO_SHARED = `shared audio not found at ${SHARED_DIR} (set MINIDJ_SHARED_AUDIO to point at it)`;
const haveAubio = await isAubioAvailable();
const NO_AUBIO = 'aubio is not installed (apt-get install aubio-tools)';

describe('tempoAccuracy1', () => {
  it('accepts estimates within ±4 % of the reference, edges included', () => {
    expect(tempoAccuracy1(125, 125)).toBe(true);
    expect(tempoAccuracy1(104, 100)).toBe(true);
    expect(tempoAccuracy1(96, 100)).toBe(true);
    expect(tempoAccuracy1(104.1, 100)).toBe(false);
    expect(tempoAccuracy1(95.9, 100)).toBe(false);
    // 139 × 1.04 = 144.56, where plain float arithmetic lands just outside.
    expect(tempoAccuracy1(144.56, 139)).toBe(true);
  });

  it('rejects octave errors and honours a custom tolerance', () => {
    expect(tempoAccuracy1(250, 125)).toBe(false);
    expect(tempoAccuracy1(62.5, 125)).toBe(false);
    expect(tempoAccuracy1(110, 100, 0.1)).toBe(true);
    expect(tempoAccuracy1(110, 100)).toBe(false);
  });

  it('rejects non-positive or missing tempi', () => {
    expect(tempoAccuracy1(0, 120)).toBe(false);
    expect(tempoAccuracy1(Number.NaN, 120)).toBe(false);
    expect(tempoAccuracy1(120, 0)).toBe(false);
  });
});

describe('tempoAccuracy2', () => {
  it('forgives ×2, ×½, ×3 and ×⅓ errors', () => {
    expect(tempoAccuracy2(250, 125)).toBe(true);
    expect(tempoAccuracy2(62.5, 125)).toBe(true);
    expect(tempoAccuracy2(375, 125)).toBe(true);
    expect(tempoAccuracy2(41.67, 125)).toBe(true);
    // Cuidado clip: truth 191.27, a half-tempo detector answer.
    expect(tempoAccuracy2(95.6, 191.27)).toBe(true);
  });

  it('still rejects other ratios and misses beyond the tolerance', () => {
    expect(tempoAccuracy2(187.5, 125)).toBe(false); // ×1.5
    expect(tempoAccuracy2(166.7, 125)).toBe(false); // ×4/3
    expect(tempoAccuracy2(270, 125)).toBe(false); // 8 % above ×2
    expect(tempoAccuracy2(0, 125)).toBe(false);
  });
});

describe('beatFMeasure', () => {
  const ref = [1, 2, 3, 4, 5, 6];

  it('scores identical beats 1', () => {
    expect(beatFMeasure(ref, ref)).toEqual({ f: 1, precision: 1, recall: 1 });
  });

  it('scores beats shifted by 80 ms as 0 (outside ±70 ms)', () => {
    expect(
      beatFMeasure(
        ref.map((t) => t + 0.08),
        ref,
      ),
    ).toEqual({ f: 0, precision: 0, recall: 0 });
    expect(
      beatFMeasure(
        ref.map((t) => t - 0.08),
        ref,
      ).f,
    ).toBe(0);
  });

  it('scores beats shifted by 60 ms as 1 (inside ±70 ms)', () => {
    expect(
      beatFMeasure(
        ref.map((t) => t + 0.06),
        ref,
      ).f,
    ).toBe(1);
  });

  it('gives F = 2/3 when half the beats are missing', () => {
    const s = beatFMeasure([1, 3, 5], ref);
    expect(s.precision).toBe(1);
    expect(s.recall).toBe(0.5);
    expect(s.f).toBeCloseTo(2 / 3, 10);
  });

  it('gives F = 2/3 when every other estimate is extra (double tempo)', () => {
    const est = [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5];
    const s = beatFMeasure(est, ref);
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBe(1);
    expect(s.f).toBeCloseTo(2 / 3, 10);
  });

  it('includes the tolerance edge and excludes just beyond it', () => {
    expect(beatFMeasure([1.07], [1]).f).toBe(1);
    expect(beatFMeasure([0.93], [1]).f).toBe(1);
    expect(beatFMeasure([1.0701], [1]).f).toBe(0);
    // Edges where plain float arithmetic lands just outside ±70 ms.
    expect(beatFMeasure([0.64], [0.57]).f).toBe(1);
    expect(beatFMeasure([0.21], [0.28]).f).toBe(1);
    expect(beatFMeasure([1.1], [1], 0.1).f).toBe(1);
    expect(beatFMeasure([1.1], [1], 0.05).f).toBe(0);
  });

  it('matches one to one: two estimates near one reference count once', () => {
    const s = beatFMeasure([0.98, 1.02], [1]);
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBe(1);
  });

  it('matches one to one: one estimate between two references counts once', () => {
    const s = beatFMeasure([1], [0.96, 1.04]);
    expect(s.precision).toBe(1);
    expect(s.recall).toBe(0.5);
  });

  it('finds the maximum matching where nearest-neighbour pairing would not', () => {
    // 1.06 is nearest to 1.1, but giving it to 1.0 lets 1.16 match 1.1.
    expect(beatFMeasure([1.06, 1.16], [1.0, 1.1]).f).toBe(1);
  });

  it('does not depend on input order', () => {
    expect(beatFMeasure([5, 3, 1], [6, 1, 4, 2, 5, 3]).f).toBeCloseTo(2 / 3, 10);
  });

  it('scores 0 when either list is empty', () => {
    expect(beatFMeasure([], ref).f).toBe(0);
    expect(beatFMeasure(ref, []).f).toBe(0);
  });

  it('compares only inside a window (truncated annotations)', () => {
    const truncated = [0.5, 1.0, 1.5];
    const est = Array.from({ length: 20 }, (_, i) => 0.5 + 0.5 * i); // 0.5 … 10 s
    expect(beatFMeasure(est, truncated).precision).toBeCloseTo(3 / 20, 10);
    const window = truncatedAnnotationWindow(truncated);
    expect(window.maxTime).toBeCloseTo(1.57, 10);
    expect(beatFMeasure(est, truncated, 0.07, window).f).toBe(1);
    // An unmatched estimate inside the window still counts against precision.
    expect(beatFMeasure([0.5, 1.0, 1.5, 1.55], truncated, 0.07, window).precision).toBe(0.75);
    expect(beatFMeasure(est, truncated, 0.07, { minTime: 1.2 }).recall).toBe(1);
  });
});

describe('mirexKeyScore', () => {
  const table: [string, 'major' | 'minor', string, 'major' | 'minor', number][] = [
    ['C', 'major', 'C', 'major', 1],
    ['Db', 'major', 'C#', 'major', 1],
    ['G', 'major', 'C', 'major', 0.5],
    ['E', 'minor', 'A', 'minor', 0.5],
    ['F', 'major', 'C', 'major', 0.5], // fifth below: MIREX credits it
    ['A', 'minor', 'C', 'major', 0.3],
    ['C', 'major', 'A', 'minor', 0.3],
    ['Eb', 'major', 'C', 'minor', 0.3],
    ['D#', 'major', 'C', 'minor', 0.3],
    ['C', 'minor', 'C', 'major', 0.2],
    ['C', 'major', 'C', 'minor', 0.2],
    ['D', 'major', 'C', 'major', 0],
    ['F#', 'major', 'C', 'major', 0],
    ['G', 'minor', 'C', 'major', 0], // a fifth, but the mode differs
    ['E', 'minor', 'C', 'major', 0],
    ['A', 'major', 'C', 'major', 0],
    ['A', 'minor', 'C', 'minor', 0],
  ];
  it.each(table)('est %s %s vs ref %s %s scores %d', (estKey, estScale, refKey, refScale, score) => {
    expect(mirexKeyScore(estKey, estScale, refKey, refScale)).toBe(score);
  });

  it("can fall back to mir_eval's default, which credits only the fifth above", () => {
    expect(mirexKeyScore('F', 'major', 'C', 'major', { allowDescendingFifths: false })).toBe(0);
    expect(mirexKeyScore('G', 'major', 'C', 'major', { allowDescendingFifths: false })).toBe(0.5);
  });

  it('rejects unknown key names', () => {
    expect(() => mirexKeyScore('H', 'major', 'C', 'major')).toThrow(/unknown key/);
  });
});

describe('phaseErrorStats', () => {
  it('reports signed per-beat offsets and median/max absolute error in ms', () => {
    const s = phaseErrorStats([1.01, 1.98, 3.03, 4.0], [1, 2, 3, 4]);
    expect(s.offsetsMs.map((x) => Math.round(x))).toEqual([10, -20, 30, 0]);
    expect(s.medianAbsMs).toBeCloseTo(15, 6);
    expect(s.maxAbsMs).toBeCloseTo(30, 6);
  });

  it('uses the nearest estimate on either side, whatever the input order', () => {
    const s = phaseErrorStats([2.1, 0.5, 1.5], [2, 0.45]);
    expect(s.offsetsMs[0]).toBeCloseTo(100, 6);
    expect(s.offsetsMs[1]).toBeCloseTo(50, 6);
    expect(s.medianAbsMs).toBeCloseTo(75, 6);
  });

  it('gives NaN when there is nothing to compare', () => {
    expect(phaseErrorStats([], [1, 2]).medianAbsMs).toBeNaN();
    expect(phaseErrorStats([1], []).maxAbsMs).toBeNaN();
  });
});

describe('shared truth', () => {
  it('parses key labels with sharps, flats and short modes', () => {
    expect(parseKeyLabel('Eb major')).toEqual({ key: 'Eb', scale: 'major' });
    expect(parseKeyLabel('D minor')).toEqual({ key: 'D', scale: 'minor' });
    expect(parseKeyLabel('f# min')).toEqual({ key: 'F#', scale: 'minor' });
    expect(() => parseKeyLabel('H major')).toThrow();
    expect(() => parseKeyLabel('D dorian')).toThrow();
  });

  it('resolves ../shared/audio beside the project root unless MINIDJ_SHARED_AUDIO is set', () => {
    expect(sharedAudioDir('/x/repo', {})).toBe(path.resolve('/x/shared/audio'));
    expect(sharedAudioDir('/x/repo', { MINIDJ_SHARED_AUDIO: '/data/clips' })).toBe('/data/clips');
    expect(existsSync(path.join(PROJECT_ROOT, 'package.json'))).toBe(true);
  });

  it('returns undefined when the folder has no truth.json', async () => {
    expect(await loadSharedTruth(path.join(os.tmpdir(), 'minidj-no-such-dir'))).toBeUndefined();
  });

  it('skips entries whose audio file is missing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'minidj-truth-'));
    try {
      await writeFile(path.join(dir, 'here.wav'), 'placeholder');
      const truth = [
        { file: 'here.wav', duration_s: 3, bpm: 120, beats: [0.5, 1], beats_complete: false, key: 'Eb major' },
        { file: 'gone.wav', duration_s: 3, bpm: 90 },
      ];
      await writeFile(path.join(dir, 'truth.json'), JSON.stringify(truth));
      const loaded = await loadSharedTruth(dir);
      expect(loaded?.entries.map((e) => e.id)).toEqual(['here.wav']);
      expect(loaded?.missing).toEqual(['gone.wav']);
      expect(loaded?.entries[0]).toMatchObject({
        file: path.join(dir, 'here.wav'),
        bpm: 120,
        beatsComplete: false,
        key: 'Eb',
        scale: 'major',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads at least 10 entries from the shared clips', (ctx) => {
    if (!shared) return ctx.skip(NO_SHARED);
    expect(shared.entries.length).toBeGreaterThanOrEqual(10);
    const byName = (name: string) => shared.entries.find((e) => e.id.endsWith(name));
    expect(byName('techno_loop.mp3')).toMatchObject({ bpm: 125, beats: undefined, beatsComplete: false });
    expect(byName('hains001.flac')).toMatchObject({ bpm: 100.16, beatsComplete: false });
    expect(byName('Media-105901.wav')?.beats).toHaveLength(40);
    expect(byName('Media-105901.wav')?.downbeats).toHaveLength(14);
    expect(byName('Media-105901.wav')?.beatsComplete).toBe(true);
    expect(byName('sample.wav')?.bpmAlternatives).toEqual([
      { bpm: 87.5, weight: 0.7 },
      { bpm: 175, weight: 0.3 },
    ]);
    expect(byName('359500__mtg__sax-tenor-e-major.wav')).toMatchObject({ key: 'Eb', scale: 'major' });
    for (const e of shared.entries) expect(existsSync(e.file)).toBe(true);
  });
});

describe('aubio output parsing', () => {
  it('reads the tempo line, its uncertainty flag and "unknown bpm"', () => {
    expect(parseAubioTempo('125.08 bpm\n')).toEqual({ bpm: 125.08, uncertain: false });
    expect(parseAubioTempo('176.15 bpm (uncertain)\n')).toEqual({ bpm: 176.15, uncertain: true });
    expect(parseAubioTempo('unknown bpm\n')).toEqual({ bpm: undefined, uncertain: true });
    expect(() => parseAubioTempo('Traceback (most recent call last):\n')).toThrow(/no tempo line/);
  });

  it('reads one beat time per line', () => {
    expect(parseAubioBeats('1.917800\t\n2.386417\t\n')).toEqual([1.9178, 2.386417]);
    expect(parseAubioBeats('')).toEqual([]);
    expect(() => parseAubioBeats('1.0\nnot a time\n')).toThrow();
  });

  it('derives BPM from the median inter-beat interval, ignoring a stray beat', () => {
    expect(bpmFromBeats([0, 0.5, 1, 1.5])).toBeCloseTo(120, 10);
    expect(bpmFromBeats([0, 0.5, 1, 1.2, 1.5, 2])).toBeCloseTo(120, 10);
    expect(bpmFromBeats([1])).toBeUndefined();
  });
});

describe('child processes', () => {
  it('kills a child that outlives its timeout', async () => {
    const started = Date.now();
    await expect(runProcess('sleep', ['10'], 200)).rejects.toMatchObject({ timedOut: true, notFound: false });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a missing executable as notFound', async () => {
    await expect(runProcess('minidj-no-such-binary', [], 1000)).rejects.toMatchObject({ notFound: true });
  });

  it('decodes to a temporary WAV and removes it afterwards', async (ctx) => {
    if (!shared) return ctx.skip(NO_SHARED);
    const mp3 = path.join(shared.dir, 'essentia-audio/recorded/techno_loop.mp3');
    let seen = '';
    const header = await withTempWav(mp3, 60_000, async (wav) => {
      seen = wav;
      return (await readFile(wav)).subarray(0, 4).toString('latin1');
    });
    expect(header).toBe('RIFF');
    expect(existsSync(seen)).toBe(false);
    expect(existsSync(path.dirname(seen))).toBe(false);
  });
});

describe('aubio wrapper', () => {
  let fakeDir = '';
  beforeAll(async () => {
    // A stand-in for aubio that, like a build without mp3 support, opens only .wav files.
    fakeDir = await mkdtemp(path.join(os.tmpdir(), 'minidj-fake-aubio-'));
    const script = [
      '#!/bin/sh',
      'if [ "$1" = "-V" ]; then echo "aubio version 0.4.9"; exit 0; fi',
      'for last; do :; done',
      'case "$last" in *.wav) ;; *) echo "RuntimeError: AUBIO ERROR: source_wavread: Failed opening $last" >&2; exit 1;; esac',
      'if [ "$1" = "tempo" ]; then echo "120.00 bpm"; else printf "0.5\\t\\n1.0\\t\\n1.5\\t\\n"; fi',
    ].join('\n');
    await writeFile(path.join(fakeDir, 'aubio'), script);
    await chmod(path.join(fakeDir, 'aubio'), 0o755);
  });
  afterAll(async () => {
    await rm(fakeDir, { recursive: true, force: true });
  });

  it('returns undefined when the aubio command does not exist', async () => {
    expect(await runAubio('/nonexistent.wav', { command: 'minidj-no-such-aubio' })).toBeUndefined();
  });

  it('decodes to WAV and retries when aubio cannot open the file', async (ctx) => {
    if (!shared) return ctx.skip(NO_SHARED);
    const mp3 = path.join(shared.dir, 'essentia-audio/recorded/techno_loop.mp3');
    const result = await runAubio(mp3, { command: path.join(fakeDir, 'aubio') });
    expect(result).toEqual({ bpm: 120, uncertain: false, beats: [0.5, 1, 1.5], medianIbiBpm: 120, decodedToWav: true });
  });

  it('reports about 125 BPM on techno_loop.mp3 (Accuracy2)', async (ctx) => {
    if (!haveAubio) return ctx.skip(NO_AUBIO);
    if (!shared) return ctx.skip(NO_SHARED);
    const result = await runAubio(path.join(shared.dir, 'essentia-audio/recorded/techno_loop.mp3'));
    expect(result?.bpm).toBeDefined();
    expect(tempoAccuracy2(result!.bpm!, 125)).toBe(true);
    expect(result!.beats.length).toBeGreaterThan(20);
    expect(result!.beats.every((t, i, all) => i === 0 || t > all[i - 1]!)).toBe(true);
  });

  it('produces a tempo and beats on every clip of 20 s or more', async (ctx) => {
    if (!haveAubio) return ctx.skip(NO_AUBIO);
    if (!shared) return ctx.skip(NO_SHARED);
    const long = shared.entries.filter((e) => e.durationSec >= 20);
    expect(long.length).toBeGreaterThanOrEqual(6);
    const rows: string[] = [];
    for (const entry of long) {
      const result = await runAubio(entry.file);
      expect(result?.bpm).toBeGreaterThan(0);
      expect(result!.beats.length).toBeGreaterThanOrEqual(10);
      const ref = entry.bpm ?? Number.NaN;
      const beatF = entry.beats
        ? beatFMeasure(
            result!.beats,
            entry.beats,
            0.07,
            entry.beatsComplete ? {} : truncatedAnnotationWindow(entry.beats),
          ).f
        : undefined;
      rows.push(
        [
          path.basename(entry.file),
          `ref ${ref}`,
          `aubio ${result!.bpm}${result!.uncertain ? ' (uncertain)' : ''}`,
          `medianIBI ${result!.medianIbiBpm?.toFixed(2)}`,
          `acc1 ${tempoAccuracy1(result!.bpm!, ref)}`,
          `acc2 ${tempoAccuracy2(result!.bpm!, ref)}`,
          `beats ${result!.beats.length}`,
          `beatF ${beatF === undefined ? '-' : beatF.toFixed(3)}`,
        ].join(' | '),
      );
    }
    console.log(`aubio on the ≥ 20 s shared clips:\n${rows.join('\n')}`);
  });
});
