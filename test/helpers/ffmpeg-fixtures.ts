import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../../src/audio/io/ffmpeg-path.ts';

export function makeTempDir(prefix = 'minidj-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the real ffmpeg with lavfi sources to make test media. */
export function ffmpegMake(out: string, args: string[]): string {
  execFileSync(ffmpegPath(), ['-v', 'error', '-y', ...args, out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

export function makeTone(out: string, seconds: number, extra: string[] = []): string {
  return ffmpegMake(out, ['-f', 'lavfi', '-i', `sine=f=440:r=44100:d=${seconds}`, ...extra]);
}

/** A real multi-hour MP3, made fast: MP3 frames are independent, so one minute repeated is a valid long stream. */
export function makeLongMp3(out: string, hours: number): string {
  const minute = `${out}.minute.mp3`;
  ffmpegMake(minute, [
    '-f',
    'lavfi',
    '-i',
    'sine=f=220:r=8000:d=60',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '8k',
    '-write_xing',
    '0',
    '-id3v2_version',
    '0',
  ]);
  const piece = readFileSync(minute);
  writeFileSync(out, Buffer.concat(Array.from({ length: Math.round(hours * 60) }, () => piece)));
  rmSync(minute);
  return out;
}

/** An executable that stands in for ffmpeg and misbehaves: a crash or a hang. */
export function fakeFfmpeg(dir: string, behaviour: 'crash' | 'hang', marker: string): string {
  const file = path.join(dir, `fake-ffmpeg-${behaviour}.sh`);
  const body = behaviour === 'crash' ? 'kill -SEGV $$' : `exec -a ${marker} sleep 3600`;
  writeFileSync(file, `#!/bin/bash\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** ffmpeg's log output (where filters like ebur128 print their reports). */
export function ffmpegStderr(args: string[]): string {
  const run = spawnSync(ffmpegPath(), args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ffmpeg failed: ${run.stderr.slice(-300)}`);
  return run.stderr;
}
