import { spawnSync } from 'node:child_process';

/**
 * Crashes (SIGSEGV) every ffmpeg decoding `file` from before track time `maxStartSec`: a body deck opened near the
 * track's start, not a render's deck near its exit. Returns how many it killed.
 */
export function crashDecoders(file: string, maxStartSec: number): number {
  let killed = 0;
  for (const line of spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout.split('\n')) {
    const start = /-ss (\S+)/.exec(line);
    if (!line.includes(file) || !start || Number(start[1]) > maxStartSec) continue;
    process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGSEGV');
    killed++;
  }
  return killed;
}
