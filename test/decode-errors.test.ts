import { execFileSync } from 'node:child_process';
import { writeFileSync, truncateSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioInputError } from '../src/audio/io/audio-input-error.ts';
import { decodeForAnalysis } from '../src/audio/analysis/decode-for-analysis.ts';
import { audioLimitsFromEnv } from '../src/audio/io/limits.ts';
import type { AudioLimits } from '../src/audio/io/limits.ts';
import { fakeFfmpeg, ffmpegMake, ffmpegStderr, makeLongMp3, makeTempDir, makeTone } from './helpers/ffmpeg-fixtures.ts';

const defaults = audioLimitsFromEnv({});
let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir();
});
afterAll(() => tmp.cleanup());

async function expectInputError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AudioInputError);
  expect((err as AudioInputError).code).toBe(code);
  expect((err as AudioInputError).message).toMatch(message);
}

describe('decoding', () => {
  it('decodes every supported format to 44.1 kHz with the right length and loudness', async () => {
    const formats: [string, string[]][] = [
      ['mp3', ['-c:a', 'libmp3lame', '-b:a', '192k']],
      ['flac', []],
      ['wav', []],
      ['ogg', ['-c:a', 'libvorbis']],
      ['opus', ['-c:a', 'libopus', '-b:a', '96k']],
      ['m4a', ['-c:a', 'aac', '-b:a', '160k']],
    ];
    for (const [ext, args] of formats) {
      const file = makeTone(path.join(tmp.dir, `tone.${ext}`), 4, ['-af', 'volume=-6dB', ...args]);
      const input = await decodeForAnalysis(file, defaults);
      expect(input.sampleRate, ext).toBe(44100);
      expect(Math.abs(input.durationSec - 4), ext).toBeLessThan(0.08);
      // lavfi's sine is at 1/8 (-18.1 dBFS), -6 dB more; BS.1770 of a mono sine of amplitude A is -0.691 + 10 log10(A²/2) ≈ -27.8 LUFS.
      expect(input.loudnessLufs, ext).toBeGreaterThan(-28.8);
      expect(input.loudnessLufs, ext).toBeLessThan(-26.8);
      // Upmixed to stereo at -3 dB per channel: peak ≈ -27.1 dBFS.
      expect(input.truePeakDb, ext).toBeGreaterThan(-28);
      expect(input.truePeakDb, ext).toBeLessThan(-26.3);
    }
  });

  it('agrees with ffmpeg ebur128 on integrated loudness and true peak', async () => {
    const file = ffmpegMake(path.join(tmp.dir, 'noise.wav'), [
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=d=6:c=pink:r=44100:a=0.3',
      '-ac',
      '2',
    ]);
    const ours = await decodeForAnalysis(file, defaults);
    const stderr = ffmpegStderr([
      '-nostats',
      '-hide_banner',
      '-i',
      file,
      '-af',
      'ebur128=peak=true',
      '-f',
      'null',
      '-',
    ]);
    const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
    const integrated = Number(/I:\s+(-?[\d.]+) LUFS/.exec(summary)![1]);
    const peak = Number(/Peak:\s+(-?[\d.]+) dBFS/.exec(summary)![1]);
    expect(Math.abs(ours.loudnessLufs - integrated)).toBeLessThan(0.3);
    expect(Math.abs(ours.truePeakDb - peak)).toBeLessThan(0.5);
  });
});

describe('bad input gets a clear error', () => {
  it('a file that does not exist', async () => {
    await expectInputError(
      decodeForAnalysis(path.join(tmp.dir, 'missing.mp3'), defaults),
      'not-found',
      /Cannot read ".*missing\.mp3"/,
    );
  });

  it('an empty file', async () => {
    const file = path.join(tmp.dir, 'empty.mp3');
    writeFileSync(file, '');
    await expectInputError(decodeForAnalysis(file, defaults), 'corrupt', /The file is empty\./);
  });

  it('random bytes named .mp3', async () => {
    const file = path.join(tmp.dir, 'garbage.mp3');
    writeFileSync(file, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919 + 13) % 251)));
    await expectInputError(
      decodeForAnalysis(file, defaults),
      'corrupt',
      /^This is not audio that can be decoded: the file is corrupt or not an audio format/,
    );
  });

  it('a text file', async () => {
    const file = path.join(tmp.dir, 'notes.wav');
    writeFileSync(file, 'these are my notes, not a song\n'.repeat(100));
    await expectInputError(decodeForAnalysis(file, defaults), 'corrupt', /not an audio format/);
  });

  it('an image: no audio stream', async () => {
    const file = ffmpegMake(path.join(tmp.dir, 'cover.png'), [
      '-f',
      'lavfi',
      '-i',
      'color=c=red:s=32x32:d=1',
      '-frames:v',
      '1',
    ]);
    await expectInputError(decodeForAnalysis(file, defaults), 'no-audio', /^The file has no audio stream/);
  });

  it('a truncated WAV, FLAC and MP3', async () => {
    for (const ext of ['wav', 'flac', 'mp3']) {
      const file = makeTone(path.join(tmp.dir, `cut.${ext}`), 30);
      truncateSync(file, Math.floor(statSync(file).size * 0.4));
      await expectInputError(
        decodeForAnalysis(file, defaults),
        'truncated',
        /^The file is truncated: it says it is 0:30 long but only 0:1\d could be decoded/,
      );
    }
  });

  it('a truncated M4A (index missing)', async () => {
    const file = makeTone(path.join(tmp.dir, 'cut.m4a'), 10, ['-c:a', 'aac']);
    truncateSync(file, Math.floor(statSync(file).size * 0.5));
    await expectInputError(
      decodeForAnalysis(file, defaults),
      'truncated',
      /^The file is incomplete: its index \(moov atom\) is missing/,
    );
  });

  it('a silent track', async () => {
    const file = ffmpegMake(path.join(tmp.dir, 'silence.wav'), [
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=44100:cl=stereo',
      '-t',
      '8',
    ]);
    await expectInputError(decodeForAnalysis(file, defaults), 'silent', /^The track is silent \(its peak is -∞ dBFS\)/);
  });

  it('a near-silent track (hiss at -80 dBFS)', async () => {
    const file = ffmpegMake(path.join(tmp.dir, 'hiss.wav'), ['-f', 'lavfi', '-i', 'anoisesrc=d=8:a=0.0001:r=44100']);
    await expectInputError(
      decodeForAnalysis(file, defaults),
      'silent',
      /^The track is silent \(its peak is -\d+ dBFS\)/,
    );
  });

  it('a 3-hour file is refused quickly, from its header', async () => {
    const file = makeLongMp3(path.join(tmp.dir, 'three-hours.mp3'), 3);
    const started = Date.now();
    await expectInputError(
      decodeForAnalysis(file, defaults),
      'too-long',
      /^The audio is 3:00:\d\d long; the limit is 20:00 \(set MINIDJ_MAX_MINUTES to change it\)\.$/,
    );
    // Functional, not a speed target: it must not decode three hours to find out.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a stream longer than the configured limit, found while decoding', async () => {
    const file = makeTone(path.join(tmp.dir, 'twelve.wav'), 12);
    const limits: AudioLimits = { ...defaults, maxDurationSec: 5 };
    await expectInputError(decodeForAnalysis(file, limits), 'too-long', /long; the limit is 0:05/);
  });

  it('a file over the size limit', async () => {
    const file = makeTone(path.join(tmp.dir, 'big.wav'), 3);
    const limits: AudioLimits = { ...defaults, maxBytes: 100_000 };
    await expectInputError(
      decodeForAnalysis(file, limits),
      'too-large',
      /^The file is 0\.\d MB; the limit is 0\.1 MB \(set MINIDJ_MAX_MB to change it\)\.$/,
    );
  });

  it('a track shorter than the minimum', async () => {
    const file = makeTone(path.join(tmp.dir, 'blip.wav'), 0.3);
    await expectInputError(decodeForAnalysis(file, defaults), 'too-short', /only 0\.3 s long; at least 1 s is needed/);
  });

  it('an ffmpeg that crashes is reported', async () => {
    const file = makeTone(path.join(tmp.dir, 'ok.wav'), 2);
    const crasher = fakeFfmpeg(tmp.dir, 'crash', 'unused');
    await expectInputError(
      decodeForAnalysis(file, defaults, crasher),
      'decoder-crashed',
      /^ffmpeg crashed \(SIGSEGV\) while decoding this file/,
    );
  });

  it('an ffmpeg that hangs is killed and not left behind', async () => {
    const file = makeTone(path.join(tmp.dir, 'ok2.wav'), 2);
    const marker = `minidj-hang-${process.pid}`;
    const hanger = fakeFfmpeg(tmp.dir, 'hang', marker);
    await expectInputError(
      decodeForAnalysis(file, { ...defaults, decodeTimeoutMs: 700 }, hanger),
      'decoder-timeout',
      /^Decoding took longer than 1 s, so ffmpeg was stopped/,
    );
    const left = execFileSync('bash', ['-c', `pgrep -f "^${marker} " || true`], { encoding: 'utf8' }).trim();
    expect(left).toBe('');
  });

  it('limits come from the environment and reject nonsense', () => {
    expect(audioLimitsFromEnv({ MINIDJ_MAX_MB: '5', MINIDJ_MAX_MINUTES: '2' })).toMatchObject({
      maxBytes: 5e6,
      maxDurationSec: 120,
    });
    expect(() => audioLimitsFromEnv({ MINIDJ_MAX_MB: 'lots' })).toThrow(
      'MINIDJ_MAX_MB is "lots"; it takes a number of megabytes, above 0.',
    );
  });
});
