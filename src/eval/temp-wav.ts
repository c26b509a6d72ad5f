import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileInputArgs, fileOutputArg } from '../audio/io/ffmpeg-input.ts';
import { ffmpegPath } from '../audio/io/ffmpeg-path.ts';
import { runProcess } from './run-process.ts';

/**
 * Decodes `file` to a 16-bit WAV in a fresh temp folder, passes its path to `use`,
 * and removes the folder afterwards whatever happens.
 */
export async function withTempWav<T>(
  file: string,
  timeoutMs: number,
  use: (wavPath: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minidj-wav-'));
  try {
    const wavPath = path.join(dir, 'decoded.wav');
    await runProcess(
      ffmpegPath(),
      [
        '-nostdin',
        '-v',
        'error',
        '-y',
        ...fileInputArgs(file),
        '-vn',
        '-acodec',
        'pcm_s16le',
        '-f',
        'wav',
        fileOutputArg(wavPath),
      ],
      timeoutMs,
    );
    return await use(wavPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
