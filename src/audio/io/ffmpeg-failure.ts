import { AudioInputError } from './audio-input-error.ts';
import type { FfmpegLimits } from './ffmpeg-limits.ts';
import { ffmpegErrorLine } from './ffmpeg-message.ts';

/** How an ffmpeg or ffprobe run on a member's file ended. */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  timedOut: boolean;
}

/** Why a run failed, in the user's terms; undefined when it exited 0. */
export function ffmpegFailure(
  exit: FfmpegExit,
  file: string,
  timeoutMs: number,
  limits: FfmpegLimits,
): AudioInputError | undefined {
  const { stderr } = exit;
  if (exit.timedOut) {
    return new AudioInputError(
      'decoder-timeout',
      `Decoding took longer than ${Math.round(timeoutMs / 1000)} s, so ffmpeg was stopped. The file may be damaged.`,
    );
  }
  // ffmpeg catches SIGXCPU and exits 255, saying so at -v info; a process that does not is killed by it.
  if (exit.signal === 'SIGXCPU' || /received signal 24\b/.test(stderr)) {
    return new AudioInputError(
      'decoder-timeout',
      `ffmpeg used more than ${limits.cpuSec} s of CPU on this file, so it was stopped: it is damaged or built to exhaust the machine.`,
    );
  }
  if (exit.signal) {
    return new AudioInputError(
      'decoder-crashed',
      `ffmpeg crashed (${exit.signal}) while decoding this file; it may be damaged. Try re-exporting it as MP3, FLAC or WAV.`,
    );
  }
  if (/Cannot allocate memory/i.test(stderr)) {
    const mb = Math.round(limits.memoryBytes / 1024 / 1024);
    return new AudioInputError(
      'corrupt',
      `Opening this file needed more than ${mb} MB of memory, more than any song needs: it is damaged or built to exhaust memory.`,
    );
  }
  if (/matches no streams|does not contain any stream|Output file #0 does not contain/i.test(stderr)) {
    return new AudioInputError(
      'no-audio',
      'The file has no audio stream (a video without sound, an image, or not a media file).',
    );
  }
  if (/moov atom not found/i.test(stderr)) {
    return new AudioInputError(
      'truncated',
      'The file is incomplete: its index (moov atom) is missing, which usually means the upload or download was cut off. Upload the complete file.',
    );
  }
  if (exit.code !== 0) {
    return new AudioInputError(
      'corrupt',
      `This is not audio that can be decoded: the file is corrupt or not an audio format (ffmpeg: ${ffmpegErrorLine(stderr, file)}).`,
    );
  }
  return undefined;
}
