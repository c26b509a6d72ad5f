import { AudioInputError, tooLongError } from './audio-input-error.ts';
import { declaredWavSeconds } from './declared-length.ts';
import { ffmpegFailure } from './ffmpeg-failure.ts';
import { ffmpegLimitsFromEnv } from './ffmpeg-limits.ts';
import { ffmpegErrorLine } from './ffmpeg-message.ts';
import { ffmpegPath } from './ffmpeg-path.ts';
import { startFfmpeg } from './ffmpeg-process.ts';
import type { AudioLimits } from './limits.ts';
import { vetMedia } from './vet-media.ts';
import type { VettedMedia } from './vet-media.ts';
import { formatDuration } from '../../util/format-clock.ts';

export interface DecodeOptions {
  sampleRate: number;
  channels: 1 | 2;
  limits: AudioLimits;
  /** Receives interleaved float samples as they arrive; chunks hold whole frames. */
  onChunk: (samples: Float32Array) => void;
  ffmpeg?: string;
  /** The file as vetted already (ingest's probe): used as is when the file is still those bytes, within `limits`. */
  media?: VettedMedia;
}

export interface DecodeResult {
  frames: number;
  durationSec: number;
  /** Duration the container claims, when it says. */
  statedDurationSec?: number;
  inputBytes: number;
  /** What the file was vetted as before decoding: its stream, its tags. */
  media: VettedMedia;
}

const STDERR_KEEP = 16_384;

function parseStatedDuration(stderr: string): number | undefined {
  const m = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

function decoderArgs(media: VettedMedia, opts: DecodeOptions): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-v',
    'info',
    '-filter_threads',
    '1',
    ...media.inputArgs,
    ...media.mapArgs,
    '-vn',
    '-sn',
    '-dn',
    // One second past the limit tells "too long" apart from "exactly at the limit".
    '-t',
    String(opts.limits.maxDurationSec + 1),
    '-ac',
    String(opts.channels),
    '-af',
    `aresample=${opts.sampleRate}:resampler=soxr`,
    '-f',
    'f32le',
    '-acodec',
    'pcm_f32le',
    'pipe:1',
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
async function runDecoder(media: VettedMedia, opts: DecodeOptions): Promise<DecoderRun> {
  const { limits } = opts;
  // Spawned here: its stderr is read as it comes (the spawner hands it over at the end).
  const child = startFfmpeg(opts.ffmpeg ?? ffmpegPath(), decoderArgs(media, opts), {
    limits: ffmpegLimitsFromEnv(),
    direct: true,
  });
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
    if (stated !== undefined && stated > limits.maxDurationSec + 1) fail(tooLongError(stated, limits.maxDurationSec));
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
      fail(tooLongError(run.frames / opts.sampleRate, limits.maxDurationSec));
      return;
    }
    try {
      opts.onChunk(samples);
    } catch (err) {
      fail(
        err instanceof AudioInputError
          ? err
          : new AudioInputError('analysis-failed', String((err as Error).message ?? err)),
      );
    }
  });

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', (err: Error) => {
      clearTimeout(timer);
      reject(new AudioInputError('decoder-crashed', `ffmpeg could not be started (${err.message}).`));
    });
    child.on('close', (c: number | null, s: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve([c, s]);
    });
  });
  return { ...run, code, signal };
}

/** Why the run failed, in the user's terms; undefined when ffmpeg decoded the file. */
function runError(run: DecoderRun, file: string, limits: AudioLimits): AudioInputError | undefined {
  return run.failure ?? ffmpegFailure(run, file, limits.decodeTimeoutMs, ffmpegLimitsFromEnv());
}

/** Streams a file through ffmpeg into float PCM at the requested rate; no temp files. */
export async function decodeAudioFile(file: string, opts: DecodeOptions): Promise<DecodeResult> {
  const { limits } = opts;
  const media = await vetMedia(
    file,
    {
      ffmpeg: opts.ffmpeg,
      maxBytes: limits.maxBytes,
      maxDurationSec: limits.maxDurationSec,
      timeoutMs: limits.decodeTimeoutMs,
      direct: true,
    },
    opts.media,
  );
  const run = await runDecoder(media, opts);
  const error = runError(run, file, limits);
  if (error) throw error;
  const { frames, stderr } = run;
  const durationSec = frames / opts.sampleRate;
  const statedDurationSec =
    // A WAV header that cannot be read leaves the duration to ffprobe, or to what ffmpeg printed.
    (await declaredWavSeconds(file).catch(() => undefined)) ?? media.durationSec ?? parseStatedDuration(stderr);
  if (frames === 0)
    throw new AudioInputError(
      'corrupt',
      `The file decoded to no audio at all; it is corrupt or empty (ffmpeg: ${ffmpegErrorLine(stderr, file)}).`,
    );
  if (statedDurationSec !== undefined && statedDurationSec > 2 && durationSec < statedDurationSec * 0.9 - 0.5) {
    throw new AudioInputError(
      'truncated',
      `The file is truncated: it says it is ${formatDuration(statedDurationSec)} long but only ${formatDuration(durationSec)} could be decoded. Upload the complete file.`,
    );
  }
  if (durationSec < limits.minDurationSec) {
    throw new AudioInputError(
      'too-short',
      `The audio is only ${durationSec.toFixed(1)} s long; at least ${limits.minDurationSec} s is needed.`,
    );
  }
  return { frames, durationSec, statedDurationSec, inputBytes: media.bytes, media };
}
