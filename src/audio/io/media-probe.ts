import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { AudioInputError } from './audio-input-error.ts';
import { ffmpegFailure } from './ffmpeg-failure.ts';
import { ffmpegLimitsFromEnv, PROBE_CPU_SEC } from './ffmpeg-limits.ts';
import { startFfmpeg } from './ffmpeg-process.ts';
import { parseFfmpegStreamInfo } from './ffmpeg-stream-info.ts';

export interface ProbedStream {
  /** The stream's index in the file (what `-map 0:N` takes). */
  index: number;
  /** 'audio', 'video', 'subtitle', 'data', 'attachment'. */
  type: string;
  /** ffmpeg's codec name: aac, flac, wavpack, pcm_s16le… */
  codec: string;
  sampleRate?: number;
  channels?: number;
  /** Frames (packets) the container declares, where it says (ffprobe only). */
  frames?: number;
  durationSec?: number;
  isDefault: boolean;
  tags: Record<string, string>;
}

/** What the demuxer that will decode a file says of it, before anything is decoded. */
export interface ProbedMedia {
  streams: ProbedStream[];
  durationSec?: number;
  tags: Record<string, string>;
  prober: 'ffprobe' | 'ffmpeg';
}

export interface ProbeOptions {
  ffmpeg: string;
  timeoutMs: number;
  nice?: number;
  /** Spawned from this process even where a spawner runs (see startFfmpeg). */
  direct?: boolean;
}

/** More than any song's tags and streams: a probe saying more is killed. */
const MAX_OUTPUT = 4 * 1024 * 1024;
const ENTRIES =
  'format=duration:format_tags:stream=index,codec_type,codec_name,sample_rate,channels,duration,nb_frames:stream_disposition=default:stream_tags';

const besides = new Map<string, string | null>();

/** The ffprobe of the same build: beside `ffmpeg`, or beside the file it links to; null when there is none. */
export function ffprobeBeside(ffmpeg: string): string | null {
  let found = besides.get(ffmpeg);
  if (found === undefined) {
    const name = process.platform === 'win32' ? 'ffprobe.exe' : 'ffprobe';
    let real = ffmpeg;
    try {
      real = realpathSync(ffmpeg);
    } catch {
      // Not there: nothing beside it either.
    }
    found =
      [path.dirname(ffmpeg), path.dirname(real)].map((dir) => path.join(dir, name)).find((p) => existsSync(p)) ?? null;
    besides.set(ffmpeg, found);
  }
  return found;
}

interface FfprobeJson {
  streams?: {
    index?: number;
    codec_type?: string;
    codec_name?: string;
    sample_rate?: string;
    channels?: number;
    duration?: string;
    nb_frames?: string;
    disposition?: { default?: number };
    tags?: Record<string, string>;
  }[];
  format?: { duration?: string; tags?: Record<string, string> };
}

const num = (v: string | number | undefined): number | undefined =>
  v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

function fromFfprobe(json: FfprobeJson): ProbedMedia {
  const streams = (json.streams ?? []).map((s, i): ProbedStream => ({
    index: s.index ?? i,
    type: s.codec_type ?? 'unknown',
    codec: s.codec_name ?? 'unknown',
    sampleRate: num(s.sample_rate),
    channels: num(s.channels),
    frames: num(s.nb_frames),
    durationSec: num(s.duration),
    isDefault: s.disposition?.default === 1,
    tags: s.tags ?? {},
  }));
  return { streams, durationSec: num(json.format?.duration), tags: json.format?.tags ?? {}, prober: 'ffprobe' };
}

/** Runs the prober to its end (or `timeoutMs`): its stdout and exit. */
interface ProbeRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Said more than MAX_OUTPUT, so it was stopped. */
  overflow: boolean;
}

function run(command: string, args: string[], opts: ProbeOptions): Promise<ProbeRun> {
  const limits = ffmpegLimitsFromEnv();
  const child = startFfmpeg(command, args, {
    limits: { ...limits, cpuSec: Math.min(limits.cpuSec, PROBE_CPU_SEC) },
    nice: opts.nice,
    direct: opts.direct,
  });
  const out: Buffer[] = [];
  let outBytes = 0;
  let stderr = '';
  let timedOut = false;
  let overflow = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  child.stdout.on('data', (d: Buffer) => {
    outBytes += d.length;
    if (outBytes <= MAX_OUTPUT) out.push(d);
    else if (!overflow) {
      overflow = true;
      child.kill('SIGKILL');
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t: string) => {
    if (stderr.length < MAX_OUTPUT) stderr += t;
  });
  return new Promise((resolve, reject) => {
    child.on('error', (err: Error) => {
      clearTimeout(timer);
      reject(new AudioInputError('decoder-crashed', `ffmpeg could not be started (${err.message}).`));
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr, code, signal, timedOut, overflow });
    });
  });
}

/**
 * What the file holds, read by ffprobe under the decoders' limits (memory, CPU) with the same input options as the
 * decoders (`inputArgs`: the sniffed demuxer, the file protocol only). Where no ffprobe stands beside the ffmpeg,
 * that ffmpeg's own account of its input (`ffmpeg -i`, no output) is read instead: the same demuxer either way.
 */
export async function probeMedia(file: string, inputArgs: string[], opts: ProbeOptions): Promise<ProbedMedia> {
  const ffprobe = ffprobeBeside(opts.ffmpeg);
  const limits = ffmpegLimitsFromEnv();
  if (ffprobe) {
    const result = await run(
      ffprobe,
      ['-v', 'error', '-hide_banner', ...inputArgs, '-show_entries', ENTRIES, '-of', 'json'],
      opts,
    );
    if (result.overflow)
      throw new AudioInputError(
        'corrupt',
        "This file is damaged or built to exhaust memory: ffprobe's description of it ran past 4 MB.",
      );
    const failure = ffmpegFailure(result, file, opts.timeoutMs, limits);
    if (failure) throw failure;
    try {
      return fromFfprobe(JSON.parse(result.stdout) as FfprobeJson);
    } catch {
      throw new AudioInputError(
        'corrupt',
        'This is not audio that can be decoded: ffprobe could not describe the file.',
      );
    }
  }
  // The stream list goes to stderr, which the spawner keeps only in part: this one is read as it comes.
  const result = await run(opts.ffmpeg, ['-nostdin', '-hide_banner', '-v', 'info', ...inputArgs], {
    ...opts,
    direct: true,
  });
  const media = parseFfmpegStreamInfo(result.stderr);
  // Without an output ffmpeg exits 1 once it has described its input; anything else is a failure.
  const failure = ffmpegFailure({ ...result, code: media ? 0 : result.code }, file, opts.timeoutMs, limits);
  if (failure) throw failure;
  if (!media)
    throw new AudioInputError('corrupt', 'This is not audio that can be decoded: ffmpeg could not describe the file.');
  return media;
}
