import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { spawnDecoder, spawnerEnabled } from '../../util/spawner.ts';
import type { DecoderProcess } from '../../util/spawner.ts';
import { limitedCommand } from './ffmpeg-limits.ts';
import type { FfmpegLimits } from './ffmpeg-limits.ts';

export interface StartOptions {
  limits: FfmpegLimits;
  /** Niceness of the process (0–19). */
  nice?: number;
  /** Forked from this process even where a spawner runs (a decoder whose stderr is read as it comes). */
  direct?: boolean;
}

/**
 * An ffmpeg (or ffprobe) on a member's bytes, under its memory and CPU limits: through the spawner process where there
 * is one (forking this process would stall its event loop: spawner.ts), else spawned here.
 */
export function startFfmpeg(command: string, args: string[], opts: StartOptions): DecoderProcess {
  const limited = limitedCommand(command, args, opts.limits);
  const nice = opts.nice ?? 0;
  if (!opts.direct && spawnerEnabled()) return spawnDecoder(limited.command, limited.args, nice);
  const child = spawn(limited.command, limited.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (nice > 0 && child.pid !== undefined) {
    try {
      setPriority(child.pid, nice);
    } catch {
      // Gone already, or not allowed: it runs at the default priority.
    }
  }
  return child;
}
