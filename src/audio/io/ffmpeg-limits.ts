import { existsSync } from 'node:fs';
import path from 'node:path';
import { setting } from '../../util/config.ts';

/** What one ffmpeg or ffprobe reading a member's bytes may use. */
export interface FfmpegLimits {
  /** Address space (RLIMIT_AS): a failed allocation ends the demuxer or decoder, not the machine's memory. */
  memoryBytes: number;
  /** CPU seconds (RLIMIT_CPU): SIGXCPU at this, SIGKILL 5 s later. */
  cpuSec: number;
}

/** A probe reads headers and a few packets: 0.05–0.07 CPU-s on a real track. */
export const PROBE_CPU_SEC = 10;

/**
 * `MINIDJ_FFMPEG_MEMORY_MB` and `MINIDJ_FFMPEG_CPU_SEC`, else the defaults. Measured on Debian's ffmpeg 5.1, 2 cores: a
 * decode or a stretched deck peaks at 285–293 MB of address space and 53–57 MB resident (32 filter threads: 530 MB, so
 * the decoders pin them to one); the m4a index bomb asks for 2.04 GB. The costliest file within the rules (20 min of
 * 192 kHz 7.1 FLAC) takes 25 CPU-s to decode for analysis, 21 as a deck.
 */
export function ffmpegLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): FfmpegLimits {
  return {
    memoryBytes: Math.round(setting('MINIDJ_FFMPEG_MEMORY_MB', env) * 1024 * 1024),
    cpuSec: Math.ceil(setting('MINIDJ_FFMPEG_CPU_SEC', env)),
  };
}

let prlimit: string | null | undefined;

/** util-linux's prlimit on PATH (Debian: always), else null. */
function findPrlimit(): string | null {
  if (prlimit === undefined) {
    prlimit = null;
    for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/bin']) {
      const candidate = dir && path.join(dir, 'prlimit');
      if (candidate && existsSync(candidate)) {
        prlimit = candidate;
        break;
      }
    }
  }
  return prlimit;
}

/**
 * `command args` run under `limits`: through prlimit, which sets them on itself and execs the command (same process,
 * no extra fork); without it, through the shell's `ulimit` (-v in KiB, -t in seconds); on Windows, unlimited.
 */
export function limitedCommand(
  command: string,
  args: string[],
  limits: FfmpegLimits,
): { command: string; args: string[] } {
  if (process.platform === 'win32') return { command, args };
  const found = findPrlimit();
  if (found)
    return {
      command: found,
      args: [`--as=${limits.memoryBytes}`, `--cpu=${limits.cpuSec}:${limits.cpuSec + 5}`, '--', command, ...args],
    };
  const script = `ulimit -v ${Math.floor(limits.memoryBytes / 1024)} && ulimit -t ${limits.cpuSec} && exec "$0" "$@"`;
  return { command: '/bin/sh', args: ['-c', script, command, ...args] };
}
