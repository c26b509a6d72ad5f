import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../../util/format-bytes.ts';
import { AudioInputError, formatDuration } from './audio-input-error.ts';
import { declaredWavSeconds } from './declared-length.ts';
import { fileInputArgs } from './ffmpeg-input.ts';
import { ffmpegErrorLine } from './ffmpeg-message.ts';
import { ffmpegPath } from './ffmpeg-path.ts';
import type { AudioLimits } from './limits.ts';

export interface DecodeOptions {
  sampleRate: number;
  channels: 1 | 2;
  limits: AudioLimits;
  /** Receives interleaved float samples as they arrive; chunks hold whole frames. */
  onChunk: (samples: Float32Array) => void;
  ffmpeg?: string;
}

export interface DecodeResult {
  frames: number;
  durationSec: number;
  /** Duration the container claims, when it says. */
  statedDurationSec?: number;
  inputBytes: number;
}

const STDERR_KEEP = 16_384;

function parseStatedDuration(stderr: string): number | undefined {
  const m = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

function tooLong(seconds: number, limits: AudioLimits): AudioInputError {
  return new AudioInputError(
    'too-long',
    `The audio is ${formatDuration(seconds)} long; the limit is ${formatDuration(limits.maxDurationSec)} (set MINIDJ_MAX_MINUTES to change it).`,
  );
}

/** The file's size, once it is known to be a regular, non-empty file within the size limit. */
async function checkedInputBytes(file: string, limits: AudioLimits): Promise<number> {
  const name = path.basename(file);
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new AudioInputError('not-found', `Cannot read "${name}": no such file or no permission.`);
  if (!info.isFile()) throw new AudioInputError('not-found', `"${name}" is not a regular file (a folder or a device, say).`);
  const inputBytes = info.size;
  if (inputBytes > limits.maxBytes) {
    throw new AudioInputError(
      'too-large',
      `The file is ${formatBytes(inputBytes)}; the limit is ${formatBytes(limits.maxBytes)} (set MINIDJ_MAX_MB to change it).`,
    );
  }
  if (inputBytes === 0) throw new AudioInputError('corrupt', 'The file is empty.');
  return inputBytes;
}

function decoderArgs(file: string, opts: DecodeOptions): string[] {
  return [
    '-nostdin', '-hide_banner', '-nostats', '-v', 'info',
    ...fileInputArgs(file),
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    // One second past the limit tells "too long" apart from "exactly at the limit".
    '-t', String(opts.limits.maxDurationSec + 1),
    '-ac', String(opts.channels), '-af', `aresample=${opts.sampleRate}:resampler=soxr`,
    '-f', 'f32le', '-acodec', 'pcm_f32le', 'pipe:1',
  ];
}

/** How an ffmpeg run ended, with what it decoded and said. */
interface DecoderRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  frames: number;
  failure?: AudioInputError;
  timedOut: boolean;
}

/** Runs ffmpeg, handing its PCM to `onChunk` in whole frames; stopped early on a limit, a failing chunk or the timeout. */
async function runDecoder(file: string, opts: DecodeOptions): Promise<DecoderRun> {
  const { limits } = opts;
  const child = spawn(opts.ffmpeg ?? ffmpegPath(), decoderArgs(file, opts), { stdio: ['ignore', 'pipe', 'pipe'] });
  const bytesPerFrame = 4 * opts.channels;
  const run: Omit<DecoderRun, 'code' | 'signal'> = { stderr: '', frames: 0, timedOut: false };
  let pending: Buffer | undefined;

  const fail = (error: AudioInputError): void => {
    run.failure ??= error;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => {
    run.timedOut = true;
    child.kill('SIGKILL');
  }, limits.decodeTimeoutMs);

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (run.stderr.length < STDERR_KEEP) run.stderr += text;
    else run.stderr = run.stderr.slice(-STDERR_KEEP / 2) + text;
    const stated = parseStatedDuration(run.stderr);
    if (stated !== undefined && stated > limits.maxDurationSec + 1) fail(tooLong(stated, limits));
  });
  child.stdout.on('data', (data: Buffer) => {
    if (run.failure) return;
    const buf = pending ? Buffer.concat([pending, data]) : data;
    const usable = buf.length - (buf.length % bytesPerFrame);
    pending = usable < buf.length ? Buffer.from(buf.subarray(usable)) : undefined;
    if (usable === 0) return;
    // Copy into an aligned buffer: Buffer slices may start at odd offsets.
    const samples = new Float32Array(usable / 4);
    new Uint8Array(samples.buffer).set(buf.subarray(0, usable));
    run.frames += usable / bytesPerFrame;
    if (run.frames / opts.sampleRate > limits.maxDurationSec) {
      fail(tooLong(run.frames / opts.sampleRate, limits));
      return;
    }
    try {
      opts.onChunk(samples);
    } catch (err) {
      fail(err instanceof AudioInputError ? err : new AudioInputError('analysis-failed', String((err as Error).message ?? err)));
    }
  });

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new AudioInputError('decoder-crashed', `ffmpeg could not be started (${err.message}).`));
    });
    child.on('close', (c, s) => {
      clearTimeout(timer);
      resolve([c, s]);
    });
  });
  return { ...run, code, signal };
}

/** Why the run failed, in the user's terms; undefined when ffmpeg decoded the file. */
function runError(run: DecoderRun, file: string, limits: AudioLimits): AudioInputError | undefined {
  const { stderr } = run;
  if (run.failure) return run.failure;
  if (run.timedOut) {
    return new AudioInputError('decoder-timeout', `Decoding took longer than ${Math.round(limits.decodeTimeoutMs / 1000)} s, so ffmpeg was stopped. The file may be damaged.`);
  }
  if (run.signal) {
    return new AudioInputError('decoder-crashed', `ffmpeg crashed (${run.signal}) while decoding this file; it may be damaged. Try re-exporting it as MP3, FLAC or WAV.`);
  }
  if (/matches no streams|does not contain any stream|Output file #0 does not contain/i.test(stderr)) {
    return new AudioInputError('no-audio', 'The file has no audio stream (a video without sound, an image, or not a media file).');
  }
  if (/moov atom not found/i.test(stderr)) {
    return new AudioInputError('truncated', 'The file is incomplete: its index (moov atom) is missing, which usually means the upload or download was cut off. Upload the complete file.');
  }
  if (run.code !== 0) {
    return new AudioInputError('corrupt', `This is not audio that can be decoded: the file is corrupt or not an audio format (ffmpeg: ${ffmpegErrorLine(stderr, file)}).`);
  }
  return undefined;
}

/** Streams a file through ffmpeg into float PCM at the requested rate; no temp files. */
export async function decodeAudioFile(file: string, opts: DecodeOptions): Promise<DecodeResult> {
  const { limits } = opts;
  const inputBytes = await checkedInputBytes(file, limits);
  const run = await runDecoder(file, opts);
  const error = runError(run, file, limits);
  if (error) throw error;
  const { frames, stderr } = run;
  const durationSec = frames / opts.sampleRate;
  const statedDurationSec = (await declaredWavSeconds(file).catch(() => undefined)) ?? parseStatedDuration(stderr);
  if (frames === 0) throw new AudioInputError('corrupt', `The file decoded to no audio at all; it is corrupt or empty (ffmpeg: ${ffmpegErrorLine(stderr, file)}).`);
  if (statedDurationSec !== undefined && statedDurationSec > 2 && durationSec < statedDurationSec * 0.9 - 0.5) {
    throw new AudioInputError(
      'truncated',
      `The file is truncated: it says it is ${formatDuration(statedDurationSec)} long but only ${formatDuration(durationSec)} could be decoded. Upload the complete file.`,
    );
  }
  if (durationSec < limits.minDurationSec) {
    throw new AudioInputError('too-short', `The audio is only ${durationSec.toFixed(1)} s long; at least ${limits.minDurationSec} s is needed.`);
  }
  return { frames, durationSec, statedDurationSec, inputBytes };
}
